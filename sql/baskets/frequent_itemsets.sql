-- marketsql: materialized
-- Frequent itemsets by Apriori, level by level, in plain SQL (up to 4 items):
--   support = baskets containing every item of the set / all baskets, kept when >= min_support.
-- Level k only counts candidates whose every (k-1)-item subset is frequent, and only from the
-- frequent items of each basket. Items within a set are in ascending order (item_1 < item_2 < …);
-- the unused item columns of smaller sets are NULL.
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
frequent_lines AS (           -- each basket's frequent items
    SELECT l.basket_id, l.item
    FROM basket_lines AS l
    JOIN singles AS s ON s.item_1 = l.item
),
pairs AS (
    SELECT a.item AS item_1, b.item AS item_2, count(*) AS baskets
    FROM frequent_lines AS a
    JOIN frequent_lines AS b ON b.basket_id = a.basket_id AND a.item < b.item
    GROUP BY a.item, b.item
    HAVING CAST(count(*) AS DOUBLE) / (SELECT total_baskets FROM params) >= (SELECT min_support FROM params)
),
basket_pairs AS (             -- each basket's frequent pairs
    SELECT a.basket_id, a.item AS item_1, b.item AS item_2
    FROM frequent_lines AS a
    JOIN frequent_lines AS b ON b.basket_id = a.basket_id AND a.item < b.item
    JOIN pairs AS p ON p.item_1 = a.item AND p.item_2 = b.item
),
triples AS (                  -- two frequent pairs of a basket sharing item_1, whose other items also pair
    SELECT x.item_1, x.item_2, y.item_2 AS item_3, count(*) AS baskets
    FROM basket_pairs AS x
    JOIN basket_pairs AS y ON y.basket_id = x.basket_id AND y.item_1 = x.item_1 AND y.item_2 > x.item_2
    JOIN pairs AS p ON p.item_1 = x.item_2 AND p.item_2 = y.item_2
    GROUP BY x.item_1, x.item_2, y.item_2
    HAVING CAST(count(*) AS DOUBLE) / (SELECT total_baskets FROM params) >= (SELECT min_support FROM params)
),
basket_triples AS (           -- each basket's frequent triples
    SELECT x.basket_id, x.item_1, x.item_2, y.item_2 AS item_3
    FROM basket_pairs AS x
    JOIN basket_pairs AS y ON y.basket_id = x.basket_id AND y.item_1 = x.item_1 AND y.item_2 > x.item_2
    JOIN triples AS t ON t.item_1 = x.item_1 AND t.item_2 = x.item_2 AND t.item_3 = y.item_2
),
quadruples AS (               -- two frequent triples of a basket sharing item_1, item_2, with {1,3,4}, {2,3,4} frequent
    SELECT x.item_1, x.item_2, x.item_3, y.item_3 AS item_4, count(*) AS baskets
    FROM basket_triples AS x
    JOIN basket_triples AS y
      ON y.basket_id = x.basket_id AND y.item_1 = x.item_1 AND y.item_2 = x.item_2 AND y.item_3 > x.item_3
    JOIN triples AS t134 ON t134.item_1 = x.item_1 AND t134.item_2 = x.item_3 AND t134.item_3 = y.item_3
    JOIN triples AS t234 ON t234.item_1 = x.item_2 AND t234.item_2 = x.item_3 AND t234.item_3 = y.item_3
    GROUP BY x.item_1, x.item_2, x.item_3, y.item_3
    HAVING CAST(count(*) AS DOUBLE) / (SELECT total_baskets FROM params) >= (SELECT min_support FROM params)
),
itemsets AS (
    SELECT 1 AS itemset_size, item_1, CAST(NULL AS VARCHAR) AS item_2, CAST(NULL AS VARCHAR) AS item_3,
           CAST(NULL AS VARCHAR) AS item_4, baskets
    FROM singles
    UNION ALL
    SELECT 2, item_1, item_2, CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), baskets FROM pairs
    UNION ALL
    SELECT 3, item_1, item_2, item_3, CAST(NULL AS VARCHAR), baskets FROM triples
    UNION ALL
    SELECT 4, item_1, item_2, item_3, item_4, baskets FROM quadruples
)
SELECT
    CAST(i.itemset_size AS INTEGER) AS itemset_size,
    CAST(i.item_1 AS VARCHAR) AS item_1,
    i.item_2,
    i.item_3,
    i.item_4,
    CAST(i.baskets AS BIGINT) AS baskets,
    CAST(i.baskets AS DOUBLE) / p.total_baskets AS support
FROM itemsets AS i
CROSS JOIN params AS p
