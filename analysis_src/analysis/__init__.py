"""The statistical analysis: spend, feasibility, outcomes, the randomised comparison, acceptability and costs."""
