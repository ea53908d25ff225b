"""Other databases a built project mirrors onto: ``base`` (the engine contract and the table of engines), ``plan``
(what is copied and what is transpiled, shared), and one package per engine (``postgres``, ``mysql``)."""
