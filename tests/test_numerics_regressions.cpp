// Regressions of numerical defects: the recurrent layers' activation std by cancellation in
// float (17x too large for saturated tanh units), and CSV standardisation that overflowed into
// a column of zeros.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "data/data.h"
#include "base/errors.h"
#include "nn/rnn.h"
#include "test_util.h"

using namespace nnlab;

TEST_CASE("recurrent activation std of saturated tanh units, float and double") {
  // One tanh unit, h_t = tanh(x_t) (W_ih = 1, W_hh = 0, no biases), x = 4.0, 4.1, ..., 5.9 over
  // 5 steps of a batch of 4: h in [0.99933, 0.99998]. Reference (float64 Python, two-pass over
  // tanh of the float-rounded inputs): mean 0.9998183604817589, std 1.8767014442670727e-4.
  // The one-pass sqrt(E[h^2] - mean^2) in float gave 5.3e-5 here (and 17x too large elsewhere).
  auto run = [](auto zero) {
    using T = decltype(zero);
    RecurrentSpec spec;
    spec.inputs = 1;
    spec.hidden = {1};
    spec.outputs = 1;
    spec.activation.kind = Activation::tanh;
    Recurrent<T> rnn(spec);
    for (auto& p : rnn.params()) {
      p.value.setZero();
      if (p.name == "layers.1.W_ih") p.value.setOnes();
    }
    Batch<T> batch;
    for (int t = 0; t < 5; ++t) {
      Mat<T> x(1, 4);
      for (int j = 0; j < 4; ++j)  // float-representable inputs, as the reference used
        x(0, j) = static_cast<T>(static_cast<float>(4.0 + 0.1 * (t * 4 + j)));
      batch.x.push_back(x);
      batch.y.push_back(Mat<T>());
    }
    batch.y.back() = Mat<T>::Zero(1, 4);
    rnn.collect_stats(true);
    rnn.reset_state(4);
    rnn.forward(batch, {0, 5}, /*training=*/true);
    return rnn.layer_stats().front();
  };
  const LayerStats f = run(0.0f);
  const LayerStats d = run(0.0);
  // (the mean agrees to 6e-12: Eigen's vectorised tanh is not correctly rounded)
  CHECK(d.act_mean == doctest::Approx(0.9998183604817589).epsilon(1e-10));
  CHECK(d.act_std == doctest::Approx(1.8767014442670727e-4).epsilon(1e-9));
  // float's tanh is within an ulp or two of the true value: ~1e-7 of 1, ~1e-3 of the std.
  CHECK(f.act_mean == doctest::Approx(0.9998183604817589).epsilon(1e-7));
  CHECK(f.act_std == doctest::Approx(1.8767014442670727e-4).epsilon(2e-3));
}

TEST_CASE("csv standardisation that overflows double is a data error naming the column") {
  const std::filesystem::path dir = nnlab::test::fresh_dir("overflow");
  auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir / name, std::ios::binary) << text;
    return (dir / name).string();
  };
  DataConfig config = default_config().data;
  config.type = DataKind::csv;
  config.test_fraction = 0;
  // The mean of 1e308 and 1.5e308 overflows; so does the spread of 1e200 and -1e200.
  config.path = write("mean.csv", "ok,big,y\n1,1e308,0\n2,1.5e308,1\n3,1.2e308,0\n4,1e308,1\n");
  CHECK_THROWS_WITH_AS(make_dataset(config, 1),
                       doctest::Contains("column \"big\": standardising overflows double"),
                       ConfigError);
  config.path = write("spread.csv", "ok,wide,y\n1,1e200,0\n2,-1e200,1\n3,1e200,0\n4,-1e200,1\n");
  CHECK_THROWS_WITH_AS(make_dataset(config, 1),
                       doctest::Contains("column \"wide\": standardising overflows double"),
                       ConfigError);
  // Without standardisation the same file loads as it is; large but safe values standardise.
  config.standardize = false;
  CHECK(make_dataset(config, 1).x_train.allFinite());
  config.standardize = true;
  config.path = write("safe.csv", "ok,large,y\n1,1e150,0\n2,-1e150,1\n3,2e150,0\n4,0,1\n");
  const Dataset safe = make_dataset(config, 1);
  CHECK(safe.x_train.allFinite());
  CHECK(safe.x_train.row(1).cwiseAbs().maxCoeff() > 0.5);  // real z-scores, not zeros
}
