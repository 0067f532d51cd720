// nnlab probe: the mean-field theory's building blocks against known values, the probe's
// determinism and bad options, and the theory against measurement where it is exact (a few
// seeds here; bench/probe.sh runs more).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

#include "base/errors.h"
#include "nn/mean_field.h"
#include "run/probe.h"
#include "test_util.h"

using namespace nnlab;
using nlohmann::json;
using namespace nnlab::test;

namespace {

json deep_net(const std::string& activation, const std::string& init, double gain, int depth,
              int width) {
  return {{"name", "probe"}, {"seed", 3},
          {"data", {{"type", "blobs"}, {"features", width}, {"classes", 2}, {"noise", 1.0},
                    {"train_size", 256}, {"test_size", 0}, {"seed", 7}}},
          {"model", {{"type", "mlp"}, {"depth", depth}, {"width", width},
                     {"activation", activation}, {"init", init}, {"gain", gain}}},
          {"train", {{"batch_size", 64}}}};
}

const ProbeRow& row(const ProbeResult& r, int layer, int t, const std::string& quantity) {
  for (const auto& x : r.rows)
    if (x.key.layer == layer && x.key.t == t && x.key.quantity == quantity) return x;
  FAIL("no row " << layer << "/" << t << "/" << quantity);
  return r.rows.front();
}

}  // namespace

TEST_CASE("mean-field expectations") {
  const GaussHermite rule(96);
  SUBCASE("Gauss-Hermite integrates N(0,1) moments") {
    double m0 = 0, m2 = 0, m4 = 0;
    for (std::size_t k = 0; k < rule.nodes.size(); ++k) {
      const double x = rule.nodes[k], w = rule.weights[k];
      m0 += w;
      m2 += w * x * x;
      m4 += w * x * x * x * x;
    }
    CHECK(m0 == doctest::Approx(1.0).epsilon(1e-12));
    CHECK(m2 == doctest::Approx(1.0).epsilon(1e-12));
    CHECK(m4 == doctest::Approx(3.0).epsilon(1e-12));
  }
  SUBCASE("closed forms agree with direct integration") {
    // A fine midpoint rule over [-12, 12] as the reference, split where m + s x = 0 (the kink
    // of relu, leaky relu and elu).
    auto integrate = [](auto f, double m, double s) {
      double total = 0;
      const double kink = std::clamp(-m / s, -12.0, 12.0);
      for (const auto& [a, b] : {std::pair{-12.0, kink}, std::pair{kink, 12.0}}) {
        const int n = 200000;
        const double h = (b - a) / n;
        for (int i = 0; i < n; ++i) {
          const double x = a + (i + 0.5) * h;
          total += h * std::exp(-0.5 * x * x) / std::sqrt(2 * M_PI) * f(m + s * x);
        }
      }
      return total;
    };
    const ActivationFn relu{Activation::relu, 0.01, 1.0};
    const ActivationFn leaky{Activation::leaky_relu, 0.2, 1.0};
    const ActivationFn tanh{Activation::tanh, 0.01, 1.0};
    const ActivationFn elu{Activation::elu, 0.01, 0.5};
    for (double m : {0.0, 0.3, -0.7})
      for (double s : {0.3, 1.0, 2.5, 6.0}) {
        CAPTURE(m);
        CAPTURE(s);
        CHECK(expected_act_sq(relu, m, s, rule) ==
              doctest::Approx(integrate([](double z) { return z > 0 ? z * z : 0.0; }, m, s)).epsilon(1e-6));
        CHECK(expected_deriv_sq(relu, m, s, rule) ==
              doctest::Approx(integrate([](double z) { return z > 0 ? 1.0 : 0.0; }, m, s)).epsilon(1e-5));
        CHECK(expected_act_sq(leaky, m, s, rule) ==
              doctest::Approx(integrate([](double z) { return z > 0 ? z * z : 0.04 * z * z; }, m, s))
                  .epsilon(1e-6));
        CHECK(expected_deriv_sq(elu, m, s, rule) ==
              doctest::Approx(integrate([](double z) { return z > 0 ? 1.0 : 0.25 * std::exp(2 * z); }, m, s))
                  .epsilon(1e-6));
        CHECK(expected_act_sq(tanh, m, s, rule) ==
              doctest::Approx(integrate([](double z) { return std::tanh(z) * std::tanh(z); }, m, s))
                  .epsilon(1e-7));
        CHECK(expected_deriv_sq(tanh, m, s, rule) ==
              doctest::Approx(integrate([](double z) {
                const double d = 1 - std::tanh(z) * std::tanh(z);
                return d * d;
              }, m, s)).epsilon(1e-7));
      }
  }
  SUBCASE("sigma_w^2 of each scheme") {
    CHECK(*weight_variance_scale({InitScheme::he_normal, 1.0, 0}, 100, 30) == doctest::Approx(2.0));
    CHECK(*weight_variance_scale({InitScheme::he_uniform, 2.0, 0}, 100, 30) == doctest::Approx(8.0));
    CHECK(*weight_variance_scale({InitScheme::xavier_normal, 1.0, 0}, 256, 256) == doctest::Approx(1.0));
    CHECK(*weight_variance_scale({InitScheme::xavier_uniform, 1.0, 0}, 100, 300) == doctest::Approx(0.5));
    CHECK(*weight_variance_scale({InitScheme::lecun_normal, 1.5, 0}, 7, 3) == doctest::Approx(2.25));
    CHECK(*weight_variance_scale({InitScheme::standard, 1.0, 0}, 50, 3) == doctest::Approx(1.0 / 3));
    CHECK(*weight_variance_scale({InitScheme::normal, 1.0, 0.1}, 50, 3) == doctest::Approx(0.5));
    CHECK(*weight_variance_scale({InitScheme::uniform, 1.0, 0.3}, 100, 3) == doctest::Approx(3.0));
    CHECK_FALSE(weight_variance_scale({InitScheme::orthogonal, 1.0, 0}, 10, 10).has_value());
  }
  SUBCASE("recursions: relu chi = sigma_w^2 / 2, linear q = sigma_w^2 q") {
    const ActivationFn relu{Activation::relu, 0.01, 1.0};
    const auto p = mean_field_mlp(relu, {2.0, 2.0, 2.0, 1.0}, 0.0, {1.0, 3.0});
    CHECK(p.chi[0] == doctest::Approx(1.0));
    CHECK(p.chi[2] == doctest::Approx(0.5));
    CHECK(p.q[0] == doctest::Approx(4.0));  // 2 * mean(1, 3)
    CHECK(p.q[1] == doctest::Approx(4.0));  // relu halves, sigma_w^2 = 2 doubles
    CHECK(p.log_delta[3] == 0.0);
    const ActivationFn identity{Activation::identity, 0.01, 1.0};
    const auto lin = mean_field_mlp(identity, {0.5, 0.5, 0.5}, 0.0, {2.0});
    CHECK(lin.q[2] == doctest::Approx(0.25));
    CHECK(lin.log_delta[0] == doctest::Approx(2 * std::log(0.5)));
  }
}

TEST_CASE("probe: determinism, threads, options") {
  const Config config = parse(deep_net("tanh", "lecun_normal", 1.2, 6, 32));
  ProbeOptions options;
  options.seeds = 5;
  const ProbeResult a = run_probe(config, options);
  options.threads = 2;
  const ProbeResult b = run_probe(config, options);
  CHECK(a.values == b.values);
  CHECK(a.seeds.front() == 3);
  CHECK(a.seeds.back() == 7);
  REQUIRE(a.fit.has_value());
  CHECK(a.fit->begin == 2);
  CHECK(a.fit->end == 5);
  CHECK(a.theory == "mean-field");
  CHECK(a.sigma_w2.size() == 7);
  CHECK(row(a, 3, 0, "q").theory.has_value());
  // A different seed range draws different numbers.
  Config shifted = config;
  shifted.seed = 4;
  options.seeds = 1;
  const ProbeResult c = run_probe(shifted, options);
  CHECK(c.values[0] == a.values[1]);

  SUBCASE("bad options are ConfigErrors naming the flag") {
    ProbeOptions bad;
    bad.fit = std::make_pair(0, 3);
    CHECK_THROWS_WITH_AS(run_probe(config, bad),
                         "--fit: must be L1:L2 with 1 <= L1 < L2 <= 7 (layers), got 0:3", ConfigError);
    bad = {};
    bad.seeds = 0;
    CHECK_THROWS_AS(run_probe(config, bad), ConfigError);
    bad = {};
    bad.threads = 0;
    CHECK_THROWS_AS(run_probe(config, bad), ConfigError);
  }
  SUBCASE("no theory where it is not exact, with the reason") {
    json doc = deep_net("tanh", "orthogonal", 1.0, 4, 16);
    ProbeResult r = run_probe(parse(doc), {});
    CHECK(r.theory.empty());
    CHECK(r.theory_reason.find("orthogonal") != std::string::npos);
    doc = deep_net("relu", "he_normal", 1.0, 4, 16);
    doc["model"]["batch_norm"] = true;
    r = run_probe(parse(doc), {});
    CHECK(r.theory_reason.find("batch norm") != std::string::npos);
    CHECK_FALSE(row(r, 2, 0, "q").theory.has_value());
  }
}

TEST_CASE("probe: measured slopes agree with mean-field theory at width 256, depth 50") {
  ProbeOptions options;
  options.seeds = 10;  // a slope's sd over seeds is up to 0.018 (docs/probe.md)
  options.threads = 2;
  SUBCASE("tanh across sigma_w^2 in [0.5, 4]") {
    for (double sigma_w2 : {0.5, 1.0, 2.0, 4.0}) {
      CAPTURE(sigma_w2);
      const ProbeResult r = run_probe(parse(deep_net("tanh", "lecun_normal", std::sqrt(sigma_w2), 50, 256)), options);
      REQUIRE(r.fit.has_value());
      REQUIRE(r.fit->theory.has_value());
      CAPTURE(r.fit->mean);
      CAPTURE(*r.fit->theory);
      CHECK(std::abs(r.fit->mean - *r.fit->theory) <= 0.02);
    }
  }
  SUBCASE("relu: He vs Xavier differ by ln 2 per layer") {
    const ProbeResult he = run_probe(parse(deep_net("relu", "he_normal", 1.0, 50, 256)), options);
    const ProbeResult xavier = run_probe(parse(deep_net("relu", "xavier_normal", 1.0, 50, 256)), options);
    CHECK(*xavier.fit->theory - *he.fit->theory == doctest::Approx(std::log(2.0)).epsilon(1e-9));
    CHECK(std::abs(xavier.fit->mean - he.fit->mean - std::log(2.0)) <= 0.05);
  }
}

TEST_CASE("probe: linear rnn with W_hh = rho * orthogonal decays as rho^k exactly") {
  const json doc = {{"name", "lin"}, {"seed", 1}, {"dtype", "float64"},
                    {"data", {{"type", "adding"}, {"length", 20}, {"train_size", 64}, {"test_size", 0}}},
                    {"model", {{"type", "rnn"}, {"depth", 1}, {"width", 16}, {"activation", "identity"},
                               {"recurrent_init", "orthogonal"}, {"recurrent_gain", 0.9}}},
                    {"train", {{"batch_size", 16}}}};
  ProbeOptions options;
  options.seeds = 3;
  const ProbeResult r = run_probe(parse(doc), options);
  CHECK(r.theory == "linear-rnn");
  for (int t = 1; t <= 20; ++t) {
    const ProbeRow& h = row(r, 1, t, "h_grad");
    REQUIRE(h.theory.has_value());
    CHECK(h.mean == doctest::Approx(*h.theory).epsilon(1e-10));
  }
  REQUIRE(r.fit.has_value());
  CHECK(r.fit->mean == doctest::Approx(-2 * std::log(0.9)).epsilon(1e-9));
}
