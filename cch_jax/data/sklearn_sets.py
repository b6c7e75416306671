"""Real multi-view data shipped inside scikit-learn (no download), as named-view Pools.

  diabetes        442 patients, regression: disease progression one year after baseline
                  (25..346). Views: 'body' (4: age, sex, BMI, mean blood pressure) and
                  'serum' (6: total cholesterol, LDL, HDL, TC/HDL, log triglycerides,
                  blood sugar). Efron et al. (2004).
  breast_cancer   569 tumours, classification: malignant (212) or benign (357). The ten
                  nucleus measurements of a fine-needle aspirate image (radius, texture,
                  perimeter, area, smoothness, compactness, concavity, concave points,
                  symmetry, fractal dimension), summarised three ways, one view each:
                  'mean', 'se' (standard error) and 'worst' (mean of the three largest).
                  Wisconsin Diagnostic Breast Cancer data, Street et al. (1993).
"""

from __future__ import annotations

import numpy as np

from cch_jax.data import sources

BREAST_CANCER_VIEWS = ("mean", "se", "worst")
"""Column blocks 0–9, 10–19 and 20–29 of scikit-learn's breast-cancer features."""


def load_diabetes() -> sources.Pool:
  """scikit-learn's diabetes data, unscaled: views 'body' (442, 4), 'serum' (442, 6);
  regression targets (442, 1)."""
  from sklearn import datasets  # pylint: disable=import-outside-toplevel

  bunch = datasets.load_diabetes(scaled=False)
  x = bunch.data.astype(np.float64)
  views = {"body": x[:, :4], "serum": x[:, 4:]}
  return sources.named_pool("diabetes", {**views, sources.LABEL_KEY: bunch.target},
                            task="regression")


def load_breast_cancer() -> sources.Pool:
  """scikit-learn's breast-cancer data: views 'mean', 'se', 'worst', each (569, 10);
  labels 0 = malignant, 1 = benign."""
  from sklearn import datasets  # pylint: disable=import-outside-toplevel

  bunch = datasets.load_breast_cancer()
  views = {name: bunch.data[:, 10 * i:10 * (i + 1)]
           for i, name in enumerate(BREAST_CANCER_VIEWS)}
  return sources.named_pool("breast_cancer", {**views, sources.LABEL_KEY: bunch.target},
                            task="classification")
