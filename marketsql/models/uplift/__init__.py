"""Campaign uplift: whom a randomised campaign actually moves (T-learner and class transformation with gradient
boosting, against targeting by response propensity and at random), scored in numpy from exported trees."""
