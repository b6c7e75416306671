"""The CCH analysis: representations -> MI terms with CIs -> verdict, ranking, λ; and the
measured outcome of KD beside the prediction. Pure functions on arrays (no disk I/O).

  from cch_jax import pipeline
  h_t = pipeline.represent(teacher, teacher_params, x_teacher_heldout)   # (n, d_t)
  h_s = pipeline.represent(student, student_params, x_student_heldout)   # (n, d_s)
  terms = pipeline.cch_terms(h_t, h_s, y_heldout, key)      # CCHTerms: I_ts, I_sy, gap
  bias = pipeline.gap_biases(terms, terms.dims, n_classes)  # on ground-truth tasks
  v = pipeline.verdict(terms, bias)
                                                            # 'distil' | 'do not distil' |
                                                            # 'uncertain', with a reason
  rows = pipeline.paired_gains(members, test_accuracy)      # KD − baseline per setting
  pipeline.prediction_held(v.label, gain)                   # True / False / None

Pieces: `representations` (represent, check, clean, pca), `terms` (cch_terms,
check_settings, required_samples, symmetric_memo, Term, CCHTerms), `verdict` (verdict,
rank_teachers, ci_label), `outcome` (paired_gains, find, recommend, prediction_held,
agreement, summary), `monitor` (point_gap, sign_flips), `calibration` (calibrate,
gap_biases: estimator bias on ground-truth tasks shaped like the analysis), `criteria`
(criteria_of, pair_criteria, rank_criteria, linear_cka, fitted_gaussian_rule: the CCH gap
beside other predictors of a KD gain).
"""

from cch_jax.pipeline.calibration import Calibration, calibrate, gap_biases
from cch_jax.pipeline.criteria import (criteria_of, fitted_gaussian_rule, linear_cka,
                                       pair_criteria, rank_criteria)
from cch_jax.pipeline.monitor import point_gap, sign_flips
from cch_jax.pipeline.outcome import (agreement, find, paired_gains, prediction_held,
                                      recommend, summary)
from cch_jax.pipeline.representations import check, clean, pca, represent
from cch_jax.pipeline.terms import (CCHTerms, Term, cch_terms, check_settings,
                                    required_samples, symmetric_memo)
from cch_jax.pipeline.verdict import (DISTIL, DO_NOT_DISTIL, UNCERTAIN, Verdict, ci_label,
                                      rank_teachers, verdict)

__all__ = ["CCHTerms", "Calibration", "DISTIL", "DO_NOT_DISTIL", "Term", "UNCERTAIN",
           "Verdict", "agreement", "calibrate", "cch_terms", "check", "check_settings",
           "ci_label", "clean", "criteria_of", "find", "fitted_gaussian_rule", "gap_biases", "linear_cka",
           "pair_criteria", "paired_gains", "pca", "point_gap", "prediction_held",
           "rank_criteria", "rank_teachers", "recommend", "represent", "required_samples",
           "sign_flips", "summary", "symmetric_memo", "verdict"]
