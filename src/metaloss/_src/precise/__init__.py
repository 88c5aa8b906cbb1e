"""Inner training in double-double (issue 24): problem rules with hand-written
gradients (:mod:`.rules`) and the unroll over them (:mod:`.unroll`)."""
