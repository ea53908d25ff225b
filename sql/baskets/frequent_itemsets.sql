-- marketsql: materialized
-- Frequent itemsets (up to 4 items): support = baskets containing every item of the set / all baskets,
-- kept when >= min_support; the same sets Apriori finds.
-- Single items are counted here and coded in item order; one pass over the baskets counts them and
-- gathers the codes of those with 2+ items into one list, which goes in one call to the Python UDF
-- basket_itemsets (udfs/baskets.py, numpy): it keeps the frequent items, counts the pairs inside the
-- baskets and larger sets (Apriori candidates: every subset frequent) on bitmaps of baskets. Items within
-- a set are in ascending order (item_1 < item_2 < …); the unused item columns of smaller sets are NULL.
WITH item_counts AS (         -- every item with the number of baskets holding it, coded 0…n-1
    SELECT item, count(*) AS baskets, CAST(row_number() OVER (ORDER BY item) - 1 AS INTEGER) AS code
    FROM basket_lines
    GROUP BY item
),
per_basket AS (               -- one row per basket: its items' codes
    SELECT l.basket_id, list(c.code) AS codes
    FROM basket_lines AS l
    JOIN item_counts AS c ON c.item = l.item
    GROUP BY l.basket_id
),
summary AS MATERIALIZED (     -- one pass over the baskets: how many, and those of 2+ items in one list
    SELECT count(basket_id) AS total_baskets,
           list(codes) FILTER (WHERE basket_id IS NOT NULL AND len(codes) >= 2) AS baskets
    FROM per_basket
),
params AS (
    SELECT total_baskets, (SELECT min_support FROM basket_settings) AS min_support FROM summary
),
singles AS (
    SELECT item, code, baskets
    FROM item_counts
    WHERE CAST(baskets AS DOUBLE) / (SELECT total_baskets FROM params) >= (SELECT min_support FROM params)
),
counted AS (                  -- sets of 2 to 4 frequent items, counted in the baskets by basket_itemsets
    SELECT unnest(basket_itemsets(s.baskets, p.total_baskets, p.min_support, (SELECT list(code) FROM singles)))
        AS s
    FROM summary AS s
    CROSS JOIN params AS p
),
itemsets AS (
    SELECT 1 AS itemset_size, CAST(item AS VARCHAR) AS item_1, CAST(NULL AS VARCHAR) AS item_2,
           CAST(NULL AS VARCHAR) AS item_3, CAST(NULL AS VARCHAR) AS item_4, baskets
    FROM singles
    UNION ALL
    SELECT s.itemset_size, CAST(c1.item AS VARCHAR), CAST(c2.item AS VARCHAR), CAST(c3.item AS VARCHAR),
           CAST(c4.item AS VARCHAR), s.baskets
    FROM (SELECT s.itemset_size, s.item_1, s.item_2, s.item_3, s.item_4, s.baskets FROM counted) AS s
    JOIN singles AS c1 ON c1.code = s.item_1
    JOIN singles AS c2 ON c2.code = s.item_2
    LEFT JOIN singles AS c3 ON c3.code = s.item_3
    LEFT JOIN singles AS c4 ON c4.code = s.item_4
)
SELECT
    CAST(i.itemset_size AS INTEGER) AS itemset_size,
    i.item_1,
    i.item_2,
    i.item_3,
    i.item_4,
    CAST(i.baskets AS BIGINT) AS baskets,
    CAST(i.baskets AS DOUBLE) / p.total_baskets AS support
FROM itemsets AS i
CROSS JOIN params AS p
