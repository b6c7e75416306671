"""The CCH analysis: representations -> MI terms with CIs -> verdict, ranking, λ; and the
measured outcome of KD beside the prediction. Pure functions on arrays (no disk I/O).

  from cch_jax import pipeline
  h_t = pipeline.represent(teacher, teacher_params, x_teacher_heldout)   # (n, d_t)
  h_s = pipeline.represent(student, student_params, x_student_heldout)   # (n, d_s)
  terms = pipeline.cch_terms(h_t, h_s, y_heldout, key)      # CCHTerms: I_ts, I_sy, gap
  biases = pipeline.gap_biases([terms], n_classes)         # per split; ground-truth tasks
  v = pipeline.verdict(terms, biases[0])                    # shaped like the terms
                                                            # 'distil' | 'do not distil' |
                                                            # 'uncertain', with a reason
  rows = pipeline.paired_gains(members, test_score)      # KD − baseline per setting
  pipeline.prediction_outcome(v.label, gain)  # 'held' | 'contradicted' | 'inconclusive' | None

Pieces: `representations` (represent, check, clean, pca), `terms` (cch_terms,
check_settings, required_samples, symmetric_memo, Term, CCHTerms), `verdict` (verdict,
pooled_verdict, rank_teachers, ci_label, corrected_ci, mapped_gap, p_sign_sampling), `outcome` (paired_gains, find, recommend, prediction_outcome,
outcome_counts, gain_verdict, rank_with_ties, units_of, agreement, summary), `monitor` (point_gap, sign_flips), `calibration` (calibrate,
gap_calibrations, gap_biases, read_gap_biases: estimator bias on ground-truth tasks shaped
like the analysis, built by `shaping`, read through the estimate-vs-truth curve), `criteria`
(criteria_of, pair_criteria, rank_criteria, linear_cka, fitted_gaussian_rule: the CCH gap
beside other predictors of a KD gain), `transferability` (logme, h_score, knn_probe: the
published transferability scores among those predictors), `scoring` (Outcomes,
score_verdict, score_criterion, threshold_labels: each verdict's and criterion's track
record beside constant rules).
"""

from cch_jax.pipeline.calibration import (Calibration, Reading, calibrate, gap_biases,
                                          gap_calibrations, read_gap_biases)
from cch_jax.pipeline.criteria import (criteria_of, fitted_gaussian_rule, linear_cka,
                                       pair_criteria, rank_criteria)
from cch_jax.pipeline.monitor import point_gap, sign_flips
from cch_jax.pipeline.outcome import (CONTRADICTED, HELD, INCONCLUSIVE, OUTCOMES,
                                      agreement, find, gain_verdict, outcome_counts,
                                      members_where, paired_gains, prediction_outcome,
                                      rank_with_ties, recommend, recommend_held_out,
                                      summary, units_of)
from cch_jax.pipeline.representations import check, clean, pca, represent
from cch_jax.pipeline.terms import (CCHTerms, Term, cch_terms, check_settings,
                                    required_samples, symmetric_memo)
from cch_jax.pipeline.verdict import (DISTIL, DO_NOT_DISTIL, UNCERTAIN, Verdict, ci_label,
                                      corrected_ci, mapped_gap, p_sign_sampling,
                                      pooled_verdict,
                                      rank_teachers, verdict)

__all__ = ["CCHTerms", "Calibration", "DISTIL", "DO_NOT_DISTIL", "Term", "UNCERTAIN",
           "Verdict", "agreement", "calibrate", "cch_terms", "check", "check_settings",
           "ci_label", "clean", "criteria_of", "find", "fitted_gaussian_rule", "gap_biases", "linear_cka",
           "pair_criteria", "paired_gains", "pca", "point_gap", "prediction_outcome",
           "CONTRADICTED", "HELD", "INCONCLUSIVE", "OUTCOMES", "gain_verdict",
           "outcome_counts", "rank_with_ties", "units_of", "members_where",
           "recommend_held_out",
           "rank_criteria", "rank_teachers", "recommend", "represent", "required_samples",
           "sign_flips", "summary", "symmetric_memo", "verdict",
           "corrected_ci", "gap_calibrations", "mapped_gap", "p_sign_sampling",
           "pooled_verdict", "Reading", "read_gap_biases"]
