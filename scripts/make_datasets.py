#!/usr/bin/python3
# Regenerates data/iris.csv, data/wine.csv and data/breast_cancer.csv from the copies of the UCI
# data sets that ship with scikit-learn (Debian's python3-sklearn), adding named header columns.
# Values are copied as written in sklearn's files, never re-formatted. Run: scripts/make_datasets.py
import csv
import importlib.metadata
import pathlib
import sys

import numpy as np

SKLEARN_DATA = pathlib.Path("/usr/lib/python3/dist-packages/sklearn/datasets/data")
OUT_DIR = pathlib.Path(__file__).resolve().parent.parent / "data"

IRIS_FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
IRIS_SPECIES = ["setosa", "versicolor", "virginica"]  # sklearn's target 0, 1, 2

# sklearn's load_wine feature_names, with "/" replaced so every name is a plain identifier.
WINE_FEATURES = [
    "alcohol", "malic_acid", "ash", "alcalinity_of_ash", "magnesium", "total_phenols",
    "flavanoids", "nonflavanoid_phenols", "proanthocyanins", "color_intensity", "hue",
    "od280_od315_of_diluted_wines", "proline",
]

# sklearn's load_breast_cancer feature_names in snake_case: 10 measurements, each as the mean,
# the standard error and the worst (mean of the three largest) value over the nuclei in an image.
_CELL = ["radius", "texture", "perimeter", "area", "smoothness", "compactness", "concavity",
         "concave_points", "symmetry", "fractal_dimension"]
CANCER_FEATURES = ([f"mean_{c}" for c in _CELL] + [f"{c}_error" for c in _CELL] +
                   [f"worst_{c}" for c in _CELL])


def read_sklearn_csv(name):
    """sklearn's layout: a first row "n_samples,n_features,class names...", then rows of
    n_features values and the integer class index."""
    with open(SKLEARN_DATA / name, newline="") as f:
        rows = list(csv.reader(f))
    n_samples, n_features = int(rows[0][0]), int(rows[0][1])
    class_names = rows[0][2:]
    body = rows[1:]
    assert len(body) == n_samples, (name, len(body), n_samples)
    for row in body:
        assert len(row) == n_features + 1, (name, row)
        np.asarray(row[:-1], dtype=float)  # every feature parses as a number
        assert 0 <= int(row[-1]) < len(class_names), (name, row)
    return body, n_features, class_names


def write_csv(name, header, rows):
    with open(OUT_DIR / name, "w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    print(f"data/{name}: {len(rows)} rows, {len(header)} columns")


def main():
    OUT_DIR.mkdir(exist_ok=True)

    rows, n, classes = read_sklearn_csv("iris.csv")
    assert n == len(IRIS_FEATURES) and len(classes) == len(IRIS_SPECIES)
    write_csv("iris.csv", IRIS_FEATURES + ["species"],
              [r[:-1] + [IRIS_SPECIES[int(r[-1])]] for r in rows])

    rows, n, classes = read_sklearn_csv("wine_data.csv")
    assert n == len(WINE_FEATURES) and classes == ["class_0", "class_1", "class_2"]
    write_csv("wine.csv", WINE_FEATURES + ["class"], [r[:-1] + [str(int(r[-1]))] for r in rows])

    rows, n, classes = read_sklearn_csv("breast_cancer.csv")
    assert n == len(CANCER_FEATURES) and classes == ["malignant", "benign"]  # 0, 1
    write_csv("breast_cancer.csv", CANCER_FEATURES + ["target"],
              [r[:-1] + [str(int(r[-1]))] for r in rows])

    print("source: scikit-learn", importlib.metadata.version("scikit-learn"), file=sys.stderr)


if __name__ == "__main__":
    main()
