-- marketsql: requires positioning
-- What the map's axes mean: the loading of every attribute on x and y (a PCA of the standardised
-- attributes) and the share of the attributes' variance each axis explains. Label an axis by its
-- largest loadings (loading_rank 1, 2, …).
WITH loadings AS (
    SELECT 'x' AS axis, a.attribute, a.loading_x AS loading, m.explained_x AS explained_variance
    FROM meta.position_attributes AS a
    CROSS JOIN meta.position_parameters AS m
    UNION ALL
    SELECT 'y', a.attribute, a.loading_y, m.explained_y
    FROM meta.position_attributes AS a
    CROSS JOIN meta.position_parameters AS m
)
SELECT
    axis,
    attribute,
    loading,
    explained_variance,
    row_number() OVER (PARTITION BY axis ORDER BY abs(loading) DESC, attribute) AS loading_rank
FROM loadings
