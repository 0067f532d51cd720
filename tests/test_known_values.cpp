// Known-value tests: the loss heads, the optimizers, the activations with their derivatives and
// batch norm against constants computed by hand (float64 Python, the formulas written out
// independently: batch norm's backward through the full Jacobian of z-hat, checked there by
// finite differences). Each constant is pinned here, so a change of formula fails a test.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "nn/activation.h"
#include "config/config.h"
#include "nn/head.h"
#include "nn/mlp.h"
#include "nn/optimizer.h"

using namespace nnlab;

namespace {

Mat<double> row(std::initializer_list<double> values) {
  Mat<double> m(1, static_cast<Eigen::Index>(values.size()));
  Eigen::Index i = 0;
  for (double v : values) m(0, i++) = v;
  return m;
}

// |a - b| <= 1e-12 (|b| + tiny): relative, and meaningful for values near 1e-22 too.
bool close(double a, double b, double tiny = 1e-300) {
  return std::abs(a - b) <= 1e-12 * (std::abs(b) + tiny);
}

}  // namespace

TEST_CASE("loss heads: known values, finite at logits of +-100") {
  SUBCASE("sigmoid + binary cross-entropy") {
    Head head;
    head.kind = Output::sigmoid;
    const Mat<double> logits = row({-100, -2, 0, 3, 100});
    const Mat<double> y = row({1, 0, 1, 1, 0});
    Mat<double> d(1, 5);
    const double loss = head.loss(logits, y, &d, 1.0);
    // 100 + log1p(e^-100) twice (the wrong side of +-100), and three moderate logits.
    CHECK(close(loss, 200.86866254317667));
    const double expected[5] = {-1.0, 0.11920292202211755, -0.5, -0.047425873177566635, 1.0};
    for (int j = 0; j < 5; ++j) {
      CAPTURE(j);
      CHECK(close(d(0, j), expected[j]));
    }
    // The gradient of a mean: grad_scale 1/B scales every entry.
    Mat<double> d_mean(1, 5);
    head.loss(logits, y, &d_mean, 0.2);
    CHECK(close(d_mean(0, 4), 0.2));
    // float: the same, and finite.
    Mat<float> df(1, 5);
    const float lf = head.loss<float>(logits.cast<float>(), y.cast<float>(), &df, 1.0f);
    CHECK(std::isfinite(lf));
    CHECK(lf == doctest::Approx(200.86866254317667).epsilon(1e-6));
    CHECK(df(0, 0) == -1.0f);
    CHECK(df(0, 4) == 1.0f);
  }
  SUBCASE("softmax + cross-entropy") {
    Head head;
    head.kind = Output::softmax;
    head.classes = 3;
    Mat<double> logits(3, 4);
    logits << 100, 100, 0, 1,  //
        -100, -100, 0, 2,      //
        0, 0, 0, 3;
    const Mat<double> y = row({0, 1, 2, 0});
    Mat<double> d(3, 4);
    const double loss = head.loss(logits, y, &d, 1.0);
    CHECK(close(loss, 203.50621825311248));  // 0 + 200 + log 3 + 2.4076...
    const double expected[3][4] = {{0.0, 1.0, 0.3333333333333333, -0.9099694268296196},
                                   {1.3838965267367376e-87, -1.0, 0.3333333333333333,
                                    0.24472847105479764},
                                   {3.720075976020836e-44, 3.720075976020836e-44,
                                    -0.6666666666666667, 0.6652409557748218}};
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 4; ++j) {
        CAPTURE(i);
        CAPTURE(j);
        CHECK(close(d(i, j), expected[i][j], 1e-16));
      }
    // Each column of the gradient sums to zero.
    CHECK(std::abs(d.colwise().sum().maxCoeff()) < 1e-15);
    Mat<float> df(3, 4);
    const float lf = head.loss<float>(logits.cast<float>(), y.cast<float>(), &df, 1.0f);
    CHECK(std::isfinite(lf));
    CHECK(lf == doctest::Approx(203.50621825311248).epsilon(1e-6));
    CHECK(df.allFinite());
  }
  SUBCASE("linear + mean squared error (mean over targets)") {
    Head head;
    head.kind = Output::linear;
    head.targets = 2;
    Mat<double> logits(2, 2), y(2, 2);
    logits << 1, -2, 0.5, 3;
    y << 0, -1, 2, 3;
    Mat<double> d(2, 2);
    CHECK(head.loss(logits, y, &d, 0.5) == 2.125);  // (1 + 1 + 2.25 + 0) / 2
    // 2 * grad_scale / targets * (logits - y) = 0.5 (logits - y)
    CHECK(d(0, 0) == 0.5);
    CHECK(d(0, 1) == -0.5);
    CHECK(d(1, 0) == -0.75);
    CHECK(d(1, 1) == 0.0);
  }
}

TEST_CASE("optimizers: three steps on a tiny parameter against hand values") {
  // p0 = (1, -2); gradients (0.5, -1), (0.1, 0.2), (-0.3, 0.4); torch.optim's update rules.
  const double grads[3][2] = {{0.5, -1.0}, {0.1, 0.2}, {-0.3, 0.4}};
  struct Case {
    const char* name;
    OptimizerKind kind;
    double lr, weight_decay, grad_scale;
    double p0, p1;
  };
  const std::vector<Case> cases{
      {"sgd", OptimizerKind::sgd, 0.1, 0, 1, 0.97, -1.96},
      {"sgd + weight decay", OptimizerKind::sgd, 0.1, 0.1, 1, 0.941394, -1.902388},
      {"sgd, clipped (grad_scale 0.5)", OptimizerKind::sgd, 0.1, 0, 0.5, 0.985, -1.98},
      {"momentum 0.9", OptimizerKind::momentum, 0.1, 0, 1, 0.8755, -1.807},
      {"nesterov 0.9", OptimizerKind::nesterov, 0.1, 0, 1, 0.85795, -1.7863000000000002},
      {"nesterov + weight decay", OptimizerKind::nesterov, 0.1, 0.01, 1, 0.850465558191,
       -1.771186716382},
      {"adam", OptimizerKind::adam, 0.01, 0, 1, 0.9798624611763509, -1.9835473434208155},
      {"adam + weight decay", OptimizerKind::adam, 0.01, 0.1, 1, 0.9768336007031183,
       -1.9792623166380274}};
  for (const Case& c : cases) {
    CAPTURE(c.name);
    TrainConfig config = default_config().train;
    config.optimizer = c.kind;
    config.lr = c.lr;
    config.weight_decay = c.weight_decay;
    std::vector<Param<double>> params{{"p", 1, "W", Mat<double>(2, 1), Mat<double>(2, 1)}};
    params[0].value << 1.0, -2.0;
    Optimizer<double> optimizer(config, params);
    for (const auto& g : grads) {
      params[0].grad << g[0], g[1];
      optimizer.step(params, c.grad_scale);
    }
    CHECK(close(params[0].value(0), c.p0));
    CHECK(close(params[0].value(1), c.p1));
    CHECK(optimizer.steps() == 3);
  }
}

TEST_CASE("activations and their derivatives at known points, extremes included") {
  const std::vector<double> zs{-50, -2, -0.5, 0, 0.5, 2, 50};
  struct Expected {
    Activation kind;
    std::vector<double> a, da;  // act(z) and act'(z) (as nnlab computes it from a)
  };
  const std::vector<Expected> table{
      {Activation::sigmoid,
       {1.9287498479639178e-22, 0.11920292202211755, 0.37754066879814546, 0.5,
        0.6224593312018546, 0.8807970779778823, 1.0},
       // at z = 50, a rounds to 1 and a (1 - a) to 0 (the true 1.9e-22 is below rounding)
       {1.9287498479639178e-22, 0.1049935854035065, 0.23500371220159447, 0.25,
        0.2350037122015945, 0.10499358540350662, 0.0}},
      {Activation::tanh,
       {-1.0, -0.9640275800758169, -0.46211715726000974, 0.0, 0.46211715726000974,
        0.9640275800758169, 1.0},
       {0.0, 0.07065082485316443, 0.7864477329659274, 1.0, 0.7864477329659274,
        0.07065082485316443, 0.0}},
      {Activation::relu, {0, 0, 0, 0, 0.5, 2, 50}, {0, 0, 0, 0, 1, 1, 1}},  // act'(0) = 0
      {Activation::leaky_relu,
       {-0.5, -0.02, -0.005, 0, 0.5, 2, 50},
       {0.01, 0.01, 0.01, 0.01, 1, 1, 1}},
      {Activation::elu,
       {-1.0, -0.8646647167633873, -0.3934693402873666, 0.0, 0.5, 2, 50},
       {1.9287498479639178e-22, 0.1353352832366127, 0.6065306597126334, 1.0, 1, 1, 1}},
      {Activation::identity, {-50, -2, -0.5, 0, 0.5, 2, 50}, {1, 1, 1, 1, 1, 1, 1}}};
  Mat<double> z(1, static_cast<Eigen::Index>(zs.size()));
  for (std::size_t j = 0; j < zs.size(); ++j) z(0, static_cast<Eigen::Index>(j)) = zs[j];
  for (const Expected& e : table) {
    ActivationFn fn;
    fn.kind = e.kind;  // leaky_relu slope 0.01 and elu alpha 1 by default
    Mat<double> a(z.rows(), z.cols()), dz(z.rows(), z.cols());
    fn.forward(z, a);
    const Mat<double> ones = Mat<double>::Ones(z.rows(), z.cols());
    fn.backward(ones, z, a, dz);
    for (std::size_t j = 0; j < zs.size(); ++j) {
      const auto k = static_cast<Eigen::Index>(j);
      CAPTURE(name_of(e.kind));
      CAPTURE(zs[j]);
      // elu's exp(z) - 1 loses digits near 0 against expm1; 1e-15 absolute is the contract.
      CHECK(std::abs(a(0, k) - e.a[j]) <= 1e-12 * std::abs(e.a[j]) + 1e-15);
      CHECK(std::abs(dz(0, k) - e.da[j]) <= 1e-12 * std::abs(e.da[j]) + 1e-15);
    }
    // float: finite at the extremes, the same values to float precision.
    Mat<float> af(z.rows(), z.cols()), dzf(z.rows(), z.cols());
    const Mat<float> zf = z.cast<float>();
    fn.forward(zf, af);
    fn.backward(Mat<float>::Ones(z.rows(), z.cols()), zf, af, dzf);
    CHECK(af.allFinite());
    CHECK(dzf.allFinite());
    for (std::size_t j = 0; j < zs.size(); ++j) {
      const auto k = static_cast<Eigen::Index>(j);
      CAPTURE(name_of(e.kind));
      CAPTURE(zs[j]);
      CHECK(std::abs(af(0, k) - e.a[j]) <= 1e-6 * std::abs(e.a[j]) + 1e-7);
      CHECK(std::abs(dzf(0, k) - e.da[j]) <= 1e-6 * std::abs(e.da[j]) + 1e-7);
    }
  }
}

TEST_CASE("batch norm: forward, backward and running statistics on a tiny batch") {
  // x (2 features, B = 4) -> z = W1 x + b1 (2 units) -> batch norm (eps 1e-5) -> identity ->
  // logits = W2 u + b2; backward from given dL/dlogits.
  MlpSpec spec;
  spec.inputs = 2;
  spec.widths = {2};
  spec.outputs = 1;
  spec.activation.kind = Activation::identity;
  spec.batch_norm = true;
  Mlp<double> mlp(spec);
  auto& p = mlp.params();
  auto param = [&](const std::string& name) -> Param<double>& {
    for (auto& q : p)
      if (q.name == name) return q;
    FAIL("no parameter " << name);
    return p.front();
  };
  param("layers.1.W").value << 1, 2, -1, 0.5;
  param("layers.1.b").value << 0.1, -0.2;
  param("layers.1.gamma").value << 1.5, 0.5;
  param("layers.1.beta").value << 0.1, -0.3;
  param("layers.2.W").value << 1, -2;
  param("layers.2.b").value << 0.05;
  Batch<double> batch;
  Mat<double> x(2, 4);
  x << 1, 2, -1, 0.5,  //
      0, -1, 3, 2;
  batch.x.push_back(x);
  batch.y.push_back(Mat<double>::Zero(1, 4));
  mlp.forward(batch, {0, 1}, /*training=*/true);
  const Mat<double>& logits = mlp.output(0);
  const double expected_logits[4] = {0.09530256329799576, 0.21220905688355612,
                                     0.9791493710014182, 1.7133390088170308};
  for (int j = 0; j < 4; ++j) CHECK(close(logits(0, j), expected_logits[j]));
  mlp.doutput(0) = row({0.3, -0.1, 0.2, 0.5});
  mlp.backward(batch, {0, 1});
  const Mat<double>& dW1 = param("layers.1.W").grad;
  CHECK(close(dW1(0, 0), 0.0803056042529984));
  CHECK(close(dW1(0, 1), -0.04015192015070582));
  CHECK(close(dW1(1, 0), -0.03171875380907077));
  CHECK(close(dW1(1, 1), -0.0634400747918143));
  // The bias before batch norm has no effect: its gradient is zero up to rounding.
  CHECK(std::abs(param("layers.1.b").grad(0)) < 1e-15);
  CHECK(std::abs(param("layers.1.b").grad(1)) < 1e-15);
  CHECK(close(param("layers.1.gamma").grad(0), 0.549398597383122));
  CHECK(close(param("layers.1.gamma").grad(1), -0.8784573083296822));
  CHECK(close(param("layers.1.beta").grad(0), 0.9));
  CHECK(close(param("layers.1.beta").grad(1), -1.8));
  CHECK(close(param("layers.2.W").grad(0), 0.9140978960746833));
  CHECK(close(param("layers.2.W").grad(1), -0.05038567291757945));
  CHECK(close(param("layers.2.b").grad(0), 0.9));
  // Running statistics after one step, momentum 0.1; the variance unbiased (B / (B - 1)).
  for (const auto& b : mlp.buffers()) {
    CAPTURE(b.name);
    if (b.name == "layers.1.running_mean") {
      CHECK(close(b.value(0), 0.27249999999999996));
      CHECK(close(b.value(1), -0.032500000000000015));
    } else if (b.name == "layers.1.running_var") {
      CHECK(close(b.value(0), 1.5229166666666667));
      CHECK(close(b.value(1), 1.3562500000000002));
    }
  }
}
