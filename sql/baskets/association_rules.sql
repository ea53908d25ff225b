-- marketsql: materialized
-- Association rules with one item as consequent (as arules does by default), from every frequent
-- itemset of 2 to 4 items: A → B and B → A from a pair, {A,B} → C for each of the 3 choices of
-- consequent in a triple, {A,B,C} → D for each of the 4 in a quadruple.
--   support    = support of the whole itemset
--   confidence = baskets with the whole itemset / baskets with the antecedent   (kept when >= min_confidence)
--   lift       = confidence / consequent_support
-- antecedent lists its items in ascending order, joined with ', '.
WITH sets AS (
    SELECT itemset_size, item_1, item_2, item_3, item_4, baskets, support FROM frequent_itemsets
),
candidates AS (
    SELECT item_1 AS antecedent_1, CAST(NULL AS VARCHAR) AS antecedent_2, CAST(NULL AS VARCHAR) AS antecedent_3,
           item_2 AS consequent, itemset_size, baskets, support
    FROM sets WHERE itemset_size = 2
    UNION ALL
    SELECT item_2, CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), item_1, itemset_size, baskets, support
    FROM sets WHERE itemset_size = 2
    UNION ALL
    SELECT item_1, item_2, CAST(NULL AS VARCHAR), item_3, itemset_size, baskets, support
    FROM sets WHERE itemset_size = 3
    UNION ALL
    SELECT item_1, item_3, CAST(NULL AS VARCHAR), item_2, itemset_size, baskets, support
    FROM sets WHERE itemset_size = 3
    UNION ALL
    SELECT item_2, item_3, CAST(NULL AS VARCHAR), item_1, itemset_size, baskets, support
    FROM sets WHERE itemset_size = 3
    UNION ALL
    SELECT item_1, item_2, item_3, item_4, itemset_size, baskets, support FROM sets WHERE itemset_size = 4
    UNION ALL
    SELECT item_1, item_2, item_4, item_3, itemset_size, baskets, support FROM sets WHERE itemset_size = 4
    UNION ALL
    SELECT item_1, item_3, item_4, item_2, itemset_size, baskets, support FROM sets WHERE itemset_size = 4
    UNION ALL
    SELECT item_2, item_3, item_4, item_1, itemset_size, baskets, support FROM sets WHERE itemset_size = 4
),
rules AS (
    SELECT
        c.antecedent_1,
        c.antecedent_2,
        c.antecedent_3,
        c.consequent,
        c.itemset_size,
        c.baskets,
        c.support,
        CAST(c.baskets AS DOUBLE) / a.baskets AS confidence,
        a.support AS antecedent_support,
        s.support AS consequent_support
    FROM candidates AS c
    JOIN sets AS a                                    -- the antecedent: itself a frequent itemset
      ON a.itemset_size = c.itemset_size - 1
     AND a.item_1 = c.antecedent_1
     AND coalesce(a.item_2, '') = coalesce(c.antecedent_2, '')
     AND coalesce(a.item_3, '') = coalesce(c.antecedent_3, '')
    JOIN sets AS s                                    -- the consequent, a frequent single item
      ON s.itemset_size = 1 AND s.item_1 = c.consequent
)
SELECT
    antecedent_1 || coalesce(', ' || antecedent_2, '') || coalesce(', ' || antecedent_3, '') AS antecedent,
    antecedent_1,
    antecedent_2,
    antecedent_3,
    consequent,
    CAST(itemset_size AS INTEGER) AS itemset_size,
    baskets,
    support,
    confidence,
    confidence / consequent_support AS lift,
    antecedent_support,
    consequent_support
FROM rules
WHERE confidence >= (SELECT min_confidence FROM basket_settings)
