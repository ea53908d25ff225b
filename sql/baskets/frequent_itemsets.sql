-- marketsql: materialized
-- Frequent itemsets (up to 4 items): support = baskets containing every item of the set / all baskets,
-- kept when >= min_support; the same sets Apriori finds.
-- Single items are counted here; the frequent ones are coded 0…n-1 and each basket's codes go, all
-- baskets in one call, to the Python UDF basket_itemsets (udfs/baskets.py), which counts pairs inside
-- the baskets and larger sets (every subset frequent) on bitmaps of baskets, in numpy. Items within a
-- set are in ascending order (item_1 < item_2 < …); the unused item columns of smaller sets are NULL.
WITH params AS (
    SELECT
        (SELECT count(DISTINCT basket_id) FROM basket_lines) AS total_baskets,
        (SELECT min_support FROM basket_settings) AS min_support
),
singles AS (
    SELECT item AS item_1, count(*) AS baskets
    FROM basket_lines
    GROUP BY item
    HAVING CAST(count(*) AS DOUBLE) / (SELECT total_baskets FROM params) >= (SELECT min_support FROM params)
),
codes AS (                    -- the frequent items, coded in their order
    SELECT CAST(item_1 AS VARCHAR) AS item, CAST(row_number() OVER (ORDER BY item_1) - 1 AS INTEGER) AS code
    FROM singles
),
basket_codes AS (             -- each basket's frequent items; a basket with one of them holds no pair
    SELECT list(c.code) AS codes
    FROM basket_lines AS l
    JOIN codes AS c ON c.item = CAST(l.item AS VARCHAR)
    GROUP BY l.basket_id
    HAVING count(*) >= 2
),
counted AS (
    SELECT unnest(found) AS s
    FROM (
        SELECT basket_itemsets(list(codes), (SELECT total_baskets FROM params), (SELECT min_support FROM params))
            AS found
        FROM basket_codes
    ) AS call
),
itemsets AS (
    SELECT 1 AS itemset_size, CAST(item_1 AS VARCHAR) AS item_1, CAST(NULL AS VARCHAR) AS item_2,
           CAST(NULL AS VARCHAR) AS item_3, CAST(NULL AS VARCHAR) AS item_4, baskets
    FROM singles
    UNION ALL
    SELECT s.itemset_size, c1.item, c2.item, c3.item, c4.item, s.baskets
    FROM (SELECT s.itemset_size, s.item_1, s.item_2, s.item_3, s.item_4, s.baskets FROM counted) AS s
    JOIN codes AS c1 ON c1.code = s.item_1
    JOIN codes AS c2 ON c2.code = s.item_2
    LEFT JOIN codes AS c3 ON c3.code = s.item_3
    LEFT JOIN codes AS c4 ON c4.code = s.item_4
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
