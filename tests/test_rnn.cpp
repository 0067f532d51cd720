// Tests of lib/nn/rnn: finite-difference gradient checks of every cell, truncated-BPTT semantics
// (carried state, no gradient across a chunk boundary), known values from PyTorch's equations,
// per-time-step gradient norms (vanishing in a tanh RNN, kept by an LSTM), initialisation, the
// statistics, errors, and the float instantiation.
#include <doctest/doctest.h>

#include <cmath>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "base/errors.h"
#include "nn/rnn.h"

using namespace nnlab;

namespace {

struct Case {
  std::string name;
  ModelType cell;
  Activation activation;
};

const std::vector<Case> kCases{{"rnn tanh", ModelType::rnn, Activation::tanh},
                               {"rnn relu", ModelType::rnn, Activation::relu},
                               {"rnn identity", ModelType::rnn, Activation::identity},
                               {"lstm", ModelType::lstm, Activation::tanh},
                               {"gru", ModelType::gru, Activation::tanh}};
const std::vector<std::vector<int>> kDepths{{3}, {3, 2}};

RecurrentSpec make_spec(ModelType cell, Activation activation, std::vector<int> hidden,
                        int inputs = 2, int outputs = 2) {
  RecurrentSpec spec;
  spec.cell = cell;
  spec.inputs = inputs;
  spec.hidden = std::move(hidden);
  spec.outputs = outputs;
  spec.activation.kind = activation;
  return spec;
}

// Every parameter drawn from N(0, scale^2): a generic point, biases included.
template <typename T>
void randomize(Recurrent<T>& model, std::uint64_t seed, double scale = 0.5) {
  Rng rng(seed);
  for (auto& p : model.params())
    for (Eigen::Index k = 0; k < p.value.size(); ++k)
      p.value(k) = static_cast<T>(rng.normal(0.0, scale));
}

// x[t] ~ N(0, 1) of (inputs, B); a target (outputs, B) at the listed steps, none elsewhere.
template <typename T>
Batch<T> make_batch(int inputs, int outputs, int batch_size, int steps,
                    const std::vector<int>& target_steps, std::uint64_t seed) {
  Rng rng(seed);
  Batch<T> b;
  for (int t = 0; t < steps; ++t) {
    Mat<T> x(inputs, batch_size);
    for (Eigen::Index k = 0; k < x.size(); ++k) x(k) = static_cast<T>(rng.normal());
    b.x.push_back(x);
    b.y.emplace_back(outputs, 0);
  }
  for (int t : target_steps) {
    Mat<T> y(outputs, batch_size);
    for (Eigen::Index k = 0; k < y.size(); ++k) y(k) = static_cast<T>(rng.normal());
    b.y[static_cast<std::size_t>(t)] = y;
  }
  return b;
}

// L = sum over the range's target steps of 0.5 ||y_t - target_t||^2; dL/dy_t = y_t - target_t.
template <typename T>
double loss(Model<T>& model, const Batch<T>& batch, StepRange range, bool with_grad) {
  double total = 0;
  for (int t = range.begin; t < range.end; ++t) {
    const Mat<T>& target = batch.y[static_cast<std::size_t>(t)];
    if (target.cols() == 0) continue;
    const Mat<T> diff = model.output(t) - target;
    total += 0.5 * static_cast<double>(diff.squaredNorm());
    if (with_grad) model.doutput(t) = diff;
  }
  return total;
}

// Forward, loss and backward of one chunk from the carried state; returns the loss.
template <typename T>
double forward_backward(Model<T>& model, const Batch<T>& batch, StepRange range) {
  model.forward(batch, range, true);
  const double l = loss(model, batch, range, true);
  model.backward(batch, range);
  return l;
}

std::vector<Mat<double>> grads(Model<double>& model) {
  std::vector<Mat<double>> out;
  for (const auto& p : model.params()) out.push_back(p.grad);
  return out;
}

double relative_error(const Mat<double>& g, const Mat<double>& g_num) {
  const double denominator = g.norm() + g_num.norm();
  return denominator == 0 ? 0 : (g - g_num).norm() / denominator;
}

// Central differences (h = 1e-6) of `loss_at` w.r.t. every element of parameter i.
template <typename F>
Mat<double> numeric_grad(Model<double>& model, std::size_t i, F loss_at, double h = 1e-6) {
  Mat<double>& value = model.params()[i].value;
  Mat<double> g(value.rows(), value.cols());
  for (Eigen::Index k = 0; k < value.size(); ++k) {
    const double saved = value(k);
    value(k) = saved + h;
    const double plus = loss_at();
    value(k) = saved - h;
    const double minus = loss_at();
    value(k) = saved;
    g(k) = (plus - minus) / (2 * h);
  }
  return g;
}

}  // namespace

TEST_CASE("backprop through time matches finite differences for every cell") {
  const std::vector<int> targets{2, 4, 5};  // steps 0, 1 and 3 have no target
  const int steps = 6;
  SUBCASE("rnn (tanh, relu, identity), lstm, gru; depth 1 and 2; batch 1 and 4") {
    for (const Case& c : kCases) {
      for (const auto& hidden : kDepths) {
        for (int batch_size : {1, 4}) {
          CAPTURE(c.name);
          CAPTURE(hidden.size());
          CAPTURE(batch_size);
          Recurrent<double> model(make_spec(c.cell, c.activation, hidden));
          randomize(model, 11 + hidden.size() * 7 + static_cast<std::size_t>(batch_size));
          const auto batch = make_batch<double>(2, 2, batch_size, steps, targets, 5);
          const StepRange all{0, steps};
          model.reset_state(batch_size);
          const double l = forward_backward(model, batch, all);
          CHECK(std::isfinite(l));
          const auto analytic = grads(model);
          auto loss_at = [&] {
            model.reset_state(batch_size);
            model.forward(batch, all, true);
            return loss(model, batch, all, false);
          };
          for (std::size_t i = 0; i < analytic.size(); ++i) {
            INFO(model.params()[i].name);
            const Mat<double> numeric = numeric_grad(model, i, loss_at);
            CHECK(analytic[i].norm() > 0);
            CHECK(relative_error(analytic[i], numeric) < 1e-6);
          }
        }
      }
    }
  }

  SUBCASE("backward overwrites the gradients instead of accumulating") {
    Recurrent<double> model(make_spec(ModelType::gru, Activation::tanh, {3, 2}));
    randomize(model, 3);
    const auto batch = make_batch<double>(2, 2, 2, steps, targets, 9);
    model.reset_state(2);
    forward_backward(model, batch, {0, steps});
    const auto first = grads(model);
    model.backward(batch, {0, steps});
    const auto second = grads(model);
    for (std::size_t i = 0; i < first.size(); ++i) CHECK(first[i] == second[i]);
  }

  SUBCASE("a chunk without targets gives zero gradients") {
    Recurrent<double> model(make_spec(ModelType::lstm, Activation::tanh, {3}));
    randomize(model, 4);
    const auto batch = make_batch<double>(2, 2, 2, steps, {5}, 9);
    model.reset_state(2);
    forward_backward(model, batch, {0, 6});  // every grad non-zero
    model.reset_state(2);
    forward_backward(model, batch, {0, 3});
    for (const auto& p : model.params()) CHECK(p.grad.isZero(0));
  }
}

namespace {

// Two chunks [0, 3) and [3, 6) of one batch, run by truncated BPTT from a zero state.
struct TwoChunks {
  static constexpr int kSteps = 6, kBatch = 3;
  RecurrentSpec spec;
  Recurrent<double> model;
  Batch<double> batch = make_batch<double>(2, 2, kBatch, kSteps, {1, 2, 4, 5}, 8);
  StepRange first{0, 3}, second{3, kSteps};
  double loss1 = 0, loss2 = 0;
  std::vector<Mat<double>> grads1, grads2;
  std::vector<Mat<double>> carried;  // the state after the first chunk

  TwoChunks(const Case& c, const std::vector<int>& hidden)
      : spec(make_spec(c.cell, c.activation, hidden)), model(spec) {
    randomize(model, 21);
    if (c.activation == Activation::relu)  // keep enough ReLUs alive to carry the state
      for (auto& p : model.params())
        if (p.kind == "b_ih") p.value.array() += 0.5;
    model.reset_state(kBatch);
    loss1 = forward_backward(model, batch, first);
    grads1 = grads(model);
    carried = model.state();
    model.collect_stats(true);
    loss2 = forward_backward(model, batch, second);
    grads2 = grads(model);
  }
};

}  // namespace

TEST_CASE("truncated BPTT carries the state forward and no gradient across the boundary") {
  SUBCASE("the state has h (and c) per layer; time_grad_norms covers only the chunk's steps") {
    for (const Case& c : kCases) {
      for (const auto& hidden : kDepths) {
        CAPTURE(c.name);
        CAPTURE(hidden.size());
        TwoChunks run(c, hidden);
        CHECK(run.carried.size() == hidden.size() * (c.cell == ModelType::lstm ? 2 : 1));
        REQUIRE(run.model.time_grad_norms().size() == hidden.size());
        for (const auto& norms : run.model.time_grad_norms()) CHECK(norms.size() == 3);
      }
    }
  }

  SUBCASE("the chunk's gradients are those of its loss with the carried state held fixed") {
    for (const Case& c : kCases) {
      for (const auto& hidden : kDepths) {
        CAPTURE(c.name);
        CAPTURE(hidden.size());
        TwoChunks run(c, hidden);
        auto loss_at = [&] {
          run.model.set_state(run.carried);
          run.model.forward(run.batch, run.second, true);
          return loss(run.model, run.batch, run.second, false);
        };
        CHECK(loss_at() == run.loss2);
        for (std::size_t i = 0; i < run.grads2.size(); ++i) {
          INFO(run.model.params()[i].name);
          CHECK(relative_error(run.grads2[i], numeric_grad(run.model, i, loss_at)) < 1e-6);
        }
      }
    }
  }

  SUBCASE("a fresh model started from the carried state gives the same gradients") {
    for (const Case& c : kCases) {
      for (const auto& hidden : kDepths) {
        CAPTURE(c.name);
        CAPTURE(hidden.size());
        TwoChunks run(c, hidden);
        Recurrent<double> fresh(run.spec);
        for (std::size_t i = 0; i < run.grads2.size(); ++i)
          fresh.params()[i].value = run.model.params()[i].value;
        fresh.set_state(run.carried);
        CHECK(forward_backward(fresh, run.batch, run.second) == run.loss2);
        for (std::size_t i = 0; i < run.grads2.size(); ++i)
          CHECK(fresh.params()[i].grad == run.grads2[i]);
      }
    }
  }

  SUBCASE("the state carries the past: inputs before the boundary change the chunk's loss") {
    for (const Case& c : kCases) {
      for (const auto& hidden : kDepths) {
        CAPTURE(c.name);
        CAPTURE(hidden.size());
        TwoChunks run(c, hidden);
        Batch<double> changed = run.batch;
        changed.x[1].array() += 0.5;
        run.model.reset_state(TwoChunks::kBatch);
        run.model.forward(changed, run.first, true);
        run.model.forward(changed, run.second, true);
        CHECK(std::abs(loss(run.model, changed, run.second, false) - run.loss2) > 1e-6);
      }
    }
  }

  SUBCASE("chunked forward = full forward; full BPTT gradients differ from the chunks' sum") {
    for (const Case& c : kCases) {
      for (const auto& hidden : kDepths) {
        CAPTURE(c.name);
        CAPTURE(hidden.size());
        TwoChunks run(c, hidden);
        run.model.reset_state(TwoChunks::kBatch);
        const double full = forward_backward(run.model, run.batch, {0, TwoChunks::kSteps});
        CHECK(full == doctest::Approx(run.loss1 + run.loss2).epsilon(1e-12));
        double difference = 0, size = 0;
        for (std::size_t i = 0; i < run.grads1.size(); ++i) {
          const Mat<double>& g = run.model.params()[i].grad;
          difference += (g - run.grads1[i] - run.grads2[i]).squaredNorm();
          size += g.squaredNorm();
        }
        CHECK(std::sqrt(difference / size) > 1e-3);
      }
    }
  }

  SUBCASE("chunks of growing length reuse and enlarge the workspace correctly") {
    for (const Case& c : kCases) {
      for (const auto& hidden : kDepths) {
        CAPTURE(c.name);
        CAPTURE(hidden.size());
        TwoChunks run(c, hidden);
        run.model.reset_state(TwoChunks::kBatch);
        forward_backward(run.model, run.batch, {0, 1});
        forward_backward(run.model, run.batch, {1, 3});
        const std::vector<Mat<double>> state = run.model.state();
        for (std::size_t i = 0; i < state.size(); ++i)
          CHECK((state[i] - run.carried[i]).norm() < 1e-14);
        CHECK(forward_backward(run.model, run.batch, run.second) ==
              doctest::Approx(run.loss2).epsilon(1e-13));
        for (std::size_t i = 0; i < run.grads2.size(); ++i)
          CHECK(relative_error(run.model.params()[i].grad, run.grads2[i]) < 1e-13);
      }
    }
  }
}

TEST_CASE("forward values match PyTorch's equations by hand (1 unit, 2 steps)") {
  // Batch of 2 sequences; x(step, sample).
  const double x[2][2] = {{0.5, -1.0}, {-0.3, 0.8}};
  Batch<double> batch;
  for (int t = 0; t < 2; ++t) {
    batch.x.push_back(Mat<double>{{x[t][0], x[t][1]}});
    batch.y.push_back(Mat<double>::Zero(1, 2));
  }
  const double w_out = 1.5, b_out = -0.25;
  auto sigmoid = [](double v) { return 1 / (1 + std::exp(-v)); };
  auto set = [](Recurrent<double>& m, const std::vector<double>& w_ih,
                const std::vector<double>& w_hh, const std::vector<double>& b_ih,
                const std::vector<double>& b_hh, double wo, double bo) {
    auto& p = m.params();
    REQUIRE(p.size() == 6);
    for (std::size_t g = 0; g < w_ih.size(); ++g) {
      p[0].value(static_cast<Eigen::Index>(g), 0) = w_ih[g];
      p[1].value(static_cast<Eigen::Index>(g), 0) = w_hh[g];
      p[2].value(static_cast<Eigen::Index>(g), 0) = b_ih[g];
      p[3].value(static_cast<Eigen::Index>(g), 0) = b_hh[g];
    }
    p[4].value(0, 0) = wo;
    p[5].value(0, 0) = bo;
  };

  SUBCASE("rnn (tanh and relu)") {
    for (Activation act : {Activation::tanh, Activation::relu}) {
      Recurrent<double> m(make_spec(ModelType::rnn, act, {1}, 1, 1));
      set(m, {0.7}, {-0.9}, {0.1}, {0.2}, w_out, b_out);
      m.reset_state(2);
      m.forward(batch, {0, 2}, false);
      for (int j = 0; j < 2; ++j) {
        auto f = [&](double v) {
          return act == Activation::tanh ? std::tanh(v) : std::max(0.0, v);
        };
        const double h1 = f(0.7 * x[0][j] + 0.1 - 0.9 * 0 + 0.2);
        const double h2 = f(0.7 * x[1][j] + 0.1 - 0.9 * h1 + 0.2);
        CHECK(m.output(0)(0, j) == doctest::Approx(w_out * h1 + b_out).epsilon(1e-14));
        CHECK(m.output(1)(0, j) == doctest::Approx(w_out * h2 + b_out).epsilon(1e-14));
        CHECK(m.state()[0](0, j) == doctest::Approx(h2).epsilon(1e-14));
      }
    }
  }

  SUBCASE("lstm: rows [i; f; g; o], c = f c + i g, h = o tanh(c)") {
    const std::vector<double> w_ih{0.3, -0.5, 0.8, 0.2}, w_hh{0.6, 0.4, -0.7, 0.9},
        b_ih{0.1, 0.5, -0.2, 0.0}, b_hh{-0.3, 0.2, 0.1, 0.4};
    Recurrent<double> m(make_spec(ModelType::lstm, Activation::tanh, {1}, 1, 1));
    set(m, w_ih, w_hh, b_ih, b_hh, w_out, b_out);
    m.reset_state(2);
    m.forward(batch, {0, 2}, true);
    for (int j = 0; j < 2; ++j) {
      double h = 0, c = 0;
      for (int t = 0; t < 2; ++t) {
        auto a = [&](int g) { return w_ih[g] * x[t][j] + b_ih[g] + w_hh[g] * h + b_hh[g]; };
        const double i = sigmoid(a(0)), f = sigmoid(a(1)), g = std::tanh(a(2)), o = sigmoid(a(3));
        c = f * c + i * g;
        h = o * std::tanh(c);
        CHECK(m.output(t)(0, j) == doctest::Approx(w_out * h + b_out).epsilon(1e-14));
      }
      CHECK(m.state()[0](0, j) == doctest::Approx(h).epsilon(1e-14));
      CHECK(m.state()[1](0, j) == doctest::Approx(c).epsilon(1e-14));
    }
  }

  SUBCASE("gru: rows [r; z; n], n = tanh(W_in x + b_in + r (W_hn h + b_hn)), h = (1-z) n + z h") {
    const std::vector<double> w_ih{0.3, -0.5, 0.8}, w_hh{0.6, 0.4, -0.7}, b_ih{0.1, 0.5, -0.2},
        b_hh{-0.3, 0.2, 0.4};
    Recurrent<double> m(make_spec(ModelType::gru, Activation::tanh, {1}, 1, 1));
    set(m, w_ih, w_hh, b_ih, b_hh, w_out, b_out);
    m.reset_state(2);
    m.forward(batch, {0, 2}, true);
    for (int j = 0; j < 2; ++j) {
      double h = 0.0;
      for (int t = 0; t < 2; ++t) {
        const double r = sigmoid(w_ih[0] * x[t][j] + b_ih[0] + w_hh[0] * h + b_hh[0]);
        const double z = sigmoid(w_ih[1] * x[t][j] + b_ih[1] + w_hh[1] * h + b_hh[1]);
        const double n = std::tanh(w_ih[2] * x[t][j] + b_ih[2] + r * (w_hh[2] * h + b_hh[2]));
        h = (1 - z) * n + z * h;
        CHECK(m.output(t)(0, j) == doctest::Approx(w_out * h + b_out).epsilon(1e-14));
      }
      CHECK(m.state()[0](0, j) == doctest::Approx(h).epsilon(1e-14));
    }
  }
}

TEST_CASE("time_grad_norms: ||dL/dh_t|| per layer and step") {
  SUBCASE("equals finite differences through the state (total gradient reaching h_t)") {
    // With no target at step t, dL/dh_t(top) is the gradient of the loss of steps t+1.. w.r.t.
    // the state h_t(top) that those steps start from.
    const int steps = 6, batch_size = 2, t = 2;
    for (const Case& c : kCases) {
      for (const auto& hidden : {std::vector<int>{3}, std::vector<int>{2, 3}}) {
        CAPTURE(c.name);
        CAPTURE(hidden.size());
        Recurrent<double> model(make_spec(c.cell, c.activation, hidden));
        randomize(model, 31);
        const auto batch = make_batch<double>(2, 2, batch_size, steps, {1, 4, 5}, 12);
        model.collect_stats(true);
        model.reset_state(batch_size);
        forward_backward(model, batch, {0, steps});
        const auto& norms = model.time_grad_norms();
        REQUIRE(norms.size() == hidden.size());
        const double expected = norms.back()[static_cast<std::size_t>(t)];

        model.reset_state(batch_size);
        model.forward(batch, {0, t + 1}, true);
        const std::vector<Mat<double>> state = model.state();
        const std::size_t top = (hidden.size() - 1) * (c.cell == ModelType::lstm ? 2 : 1);
        Mat<double> numeric(state[top].rows(), state[top].cols());
        for (Eigen::Index k = 0; k < numeric.size(); ++k) {
          double f[2];
          for (int side = 0; side < 2; ++side) {
            std::vector<Mat<double>> s = state;
            s[top](k) += side == 0 ? 1e-6 : -1e-6;
            model.set_state(s);
            model.forward(batch, {t + 1, steps}, true);
            f[side] = loss(model, batch, {t + 1, steps}, false);
          }
          numeric(k) = (f[0] - f[1]) / 2e-6;
        }
        CHECK(expected == doctest::Approx(numeric.norm()).epsilon(1e-7));
        // The last step's only gradient is from the readout: ||W^T dy||.
        Recurrent<double>& m = model;
        m.reset_state(batch_size);
        m.forward(batch, {0, steps}, true);
        loss(m, batch, {0, steps}, true);
        const Mat<double> dh_last = m.params().end()[-2].value.transpose() * m.doutput(steps - 1);
        m.backward(batch, {0, steps});
        CHECK(m.time_grad_norms().back().back() == doctest::Approx(dh_last.norm()).epsilon(1e-13));
      }
    }
  }

  SUBCASE("vanish in a tanh RNN with small W_hh, survive in an LSTM with a large forget bias") {
    const int steps = 30, batch_size = 8, H = 16;
    const auto batch = make_batch<double>(1, 1, batch_size, steps, {steps - 1}, 41);
    auto ratio = [&](ModelType cell, const RecurrentInit& init) {
      Recurrent<double> model(make_spec(cell, Activation::tanh, {H}, 1, 1));
      Rng rng(7);
      model.initialize(init, rng);
      model.collect_stats(true);
      model.reset_state(batch_size);
      forward_backward(model, batch, {0, steps});
      const std::vector<double>& norms = model.time_grad_norms()[0];
      REQUIRE(norms.size() == static_cast<std::size_t>(steps));
      return norms;
    };
    RecurrentInit init;
    init.input = {InitScheme::xavier_normal, 1.0, 0.0};
    init.recurrent = {InitScheme::orthogonal, 0.5, 0.0};  // ||W_hh||_2 = 0.5, tanh' <= 1
    const std::vector<double> rnn = ratio(ModelType::rnn, init);
    for (int t = 1; t < steps; ++t) {
      CAPTURE(t);
      CHECK(rnn[static_cast<std::size_t>(t - 1)] < 0.5 * rnn[static_cast<std::size_t>(t)]);
    }
    const double rnn_ratio = rnn.front() / rnn.back();
    CHECK(rnn_ratio < std::pow(0.5, steps - 1));

    RecurrentInit lstm_init = init;
    lstm_init.recurrent.gain = 1.0;
    lstm_init.forget_bias = 5;
    const std::vector<double> lstm = ratio(ModelType::lstm, lstm_init);
    const double lstm_ratio = lstm.front() / lstm.back();
    CAPTURE(rnn_ratio);
    CAPTURE(lstm_ratio);
    CHECK(lstm_ratio > 1e-3);
    CHECK(lstm_ratio > 1e5 * rnn_ratio);
  }
}

TEST_CASE("initialisation of the recurrent blocks and biases") {
  const int H = 5;
  auto block = [](std::unique_ptr<Recurrent<double>>& m, std::size_t param, int g, int h) {
    return Mat<double>(m->params()[param].value.middleRows(g * h, h));
  };
  auto model = [&](ModelType cell, const RecurrentInit& init, std::uint64_t seed = 1) {
    auto m = std::make_unique<Recurrent<double>>(make_spec(cell, Activation::tanh, {H, H}, 3, 2));
    Rng rng(seed);
    m->initialize(init, rng);
    return m;
  };

  SUBCASE("orthogonal: every gate block of W_hh has Q^T Q = gain^2 I, blocks differ") {
    RecurrentInit init;
    init.recurrent = {InitScheme::orthogonal, 0.7, 0.0};
    for (ModelType cell : {ModelType::rnn, ModelType::lstm, ModelType::gru}) {
      auto m = model(cell, init);
      for (std::size_t W_hh : {1u, 5u}) {
        for (int g = 0; g < gate_count(cell); ++g) {
          CAPTURE(g);
          const Mat<double> q = block(m, W_hh, g, H);
          CHECK((q.transpose() * q - 0.49 * Mat<double>::Identity(H, H)).norm() < 1e-12);
          if (g > 0) CHECK((q - block(m, W_hh, 0, H)).norm() > 0.1);
        }
      }
    }
  }

  SUBCASE("identity (IRNN): every W_hh block is gain * I") {
    RecurrentInit init;
    init.recurrent_identity = true;
    init.recurrent.gain = 0.9;
    for (ModelType cell : {ModelType::rnn, ModelType::lstm, ModelType::gru}) {
      auto m = model(cell, init);
      for (int g = 0; g < gate_count(cell); ++g)
        CHECK(block(m, 1, g, H) == 0.9 * Mat<double>::Identity(H, H));
    }
  }

  SUBCASE("spectral radius: each W_hh block rescaled to the requested radius") {
    for (double radius : {0.5, 1.1, 3.0}) {
      for (ModelType cell : {ModelType::rnn, ModelType::lstm, ModelType::gru}) {
        CAPTURE(radius);
        RecurrentInit init;
        init.recurrent = {InitScheme::normal, 1.0, 0.3};
        init.spectral_radius = radius;
        auto m = model(cell, init);
        for (std::size_t W_hh : {1u, 5u})
          for (int g = 0; g < gate_count(cell); ++g)
            CHECK(std::abs(spectral_radius(block(m, W_hh, g, H)) - radius) < 1e-9);
      }
    }
    RecurrentInit identity;
    identity.recurrent_identity = true;
    identity.spectral_radius = 0.8;
    auto irnn = model(ModelType::rnn, identity);
    CHECK((block(irnn, 1, 0, H) - 0.8 * Mat<double>::Identity(H, H)).norm() < 1e-14);
    RecurrentInit zero;
    zero.recurrent = {InitScheme::normal, 1.0, 0.0};
    zero.spectral_radius = 1.0;
    CHECK_THROWS_AS(model(ModelType::rnn, zero), std::invalid_argument);
  }

  SUBCASE("biases: bias_init everywhere, lstm forget_bias added to the forget rows of b_ih") {
    RecurrentInit init;
    init.bias_init = 0.25;
    init.forget_bias = 2.0;
    auto lstm = model(ModelType::lstm, init);
    for (std::size_t layer : {0u, 4u}) {
      const Mat<double>& b_ih = lstm->params()[layer + 2].value;
      const Mat<double>& b_hh = lstm->params()[layer + 3].value;
      REQUIRE(b_ih.rows() == 4 * H);
      for (int row = 0; row < 4 * H; ++row) {
        CAPTURE(row);
        const bool forget = row >= H && row < 2 * H;
        CHECK(b_ih(row, 0) == (forget ? 2.25 : 0.25));
        CHECK(b_hh(row, 0) == 0.25);
      }
    }
    CHECK(lstm->params().back().value.isConstant(0.25));
    for (ModelType cell : {ModelType::rnn, ModelType::gru}) {  // no forget gate: forget_bias unused
      auto m = model(cell, init);
      for (const auto& p : m->params())
        if (p.kind != "W_ih" && p.kind != "W_hh" && p.kind != "W") CHECK(p.value.isConstant(0.25));
    }
  }

  SUBCASE("W_ih and out.W use the input scheme; same seed, same weights") {
    RecurrentInit init;
    init.input = {InitScheme::uniform, 1.0, 0.1};
    auto a = model(ModelType::gru, init, 3), b = model(ModelType::gru, init, 3),
         c = model(ModelType::gru, init, 4);
    for (std::size_t i = 0; i < a->params().size(); ++i) {
      CHECK(a->params()[i].value == b->params()[i].value);
      if (a->params()[i].kind == "W_ih" || a->params()[i].kind == "W") {
        CHECK(a->params()[i].value.cwiseAbs().maxCoeff() <= 0.1);
        CHECK(a->params()[i].value != c->params()[i].value);
      }
    }
  }
}

TEST_CASE("parameters, layers and the model interface") {
  Recurrent<double> m(make_spec(ModelType::lstm, Activation::tanh, {4, 3}, 2, 5));
  const std::vector<std::string> names{"layers.1.W_ih", "layers.1.W_hh", "layers.1.b_ih",
                                       "layers.1.b_hh", "layers.2.W_ih", "layers.2.W_hh",
                                       "layers.2.b_ih", "layers.2.b_hh", "out.W", "out.b"};
  const std::vector<std::string> kinds{"W_ih", "W_hh", "b_ih", "b_hh", "W_ih",
                                       "W_hh", "b_ih", "b_hh", "W",    "b"};
  const std::vector<int> layers{1, 1, 1, 1, 2, 2, 2, 2, 3, 3};
  const std::vector<std::pair<int, int>> shapes{{16, 2}, {16, 4}, {16, 1}, {16, 1}, {12, 4},
                                                {12, 3}, {12, 1}, {12, 1}, {5, 3},  {5, 1}};
  REQUIRE(m.params().size() == names.size());
  for (std::size_t i = 0; i < names.size(); ++i) {
    const auto& p = m.params()[i];
    CAPTURE(i);
    CHECK(p.name == names[i]);
    CHECK(p.kind == kinds[i]);
    CHECK(p.layer == layers[i]);
    CHECK(p.value.rows() == shapes[i].first);
    CHECK(p.value.cols() == shapes[i].second);
    CHECK(p.grad.rows() == shapes[i].first);
    CHECK(p.grad.cols() == shapes[i].second);
  }
  CHECK(m.buffers().empty());
  CHECK(m.num_layers() == 3);
  CHECK(m.num_outputs() == 5);
  CHECK(gate_count(ModelType::rnn) == 1);
  CHECK(gate_count(ModelType::gru) == 3);

  SUBCASE("errors") {
    const auto batch = make_batch<double>(2, 5, 3, 4, {1, 3}, 1);
    CHECK_THROWS_AS(m.forward(batch, {0, 4}, true), std::logic_error);  // before reset_state
    m.reset_state(2);
    CHECK_THROWS_AS(m.forward(batch, {0, 4}, true), std::logic_error);  // batch size 3 != 2
    m.reset_state(3);
    CHECK_THROWS_AS(m.forward(batch, {2, 2}, true), std::out_of_range);
    CHECK_THROWS_AS(m.forward(batch, {0, 5}, true), std::out_of_range);
    auto wrong = batch;
    wrong.x[2] = Mat<double>::Zero(3, 3);
    CHECK_THROWS_WITH_AS(m.forward(wrong, {0, 4}, true),
                         "Recurrent::forward: x[2] is (3, 3), expected (2, 3)", DataError);
    m.forward(batch, {0, 4}, true);
    CHECK_NOTHROW(m.output(1));
    CHECK_THROWS_AS(m.output(0), std::out_of_range);  // no target at step 0
    CHECK_THROWS_AS(m.doutput(4), std::out_of_range);
    CHECK_THROWS_AS(m.backward(batch, {0, 3}), std::logic_error);
    m.forward(batch, {0, 4}, false);
    CHECK_THROWS_AS(m.backward(batch, {0, 4}), std::logic_error);  // evaluation forward
    CHECK_THROWS_AS(m.set_state({Mat<double>::Zero(4, 3)}), std::invalid_argument);
    CHECK_THROWS_AS(m.reset_state(0), std::invalid_argument);
    CHECK_THROWS_AS(Recurrent<double>(make_spec(ModelType::rnn, Activation::tanh, {})),
                    std::invalid_argument);
    CHECK_THROWS_AS(Recurrent<double>(make_spec(ModelType::rnn, Activation::tanh, {0})),
                    std::invalid_argument);
  }

  SUBCASE("an evaluation forward gives the training forward's outputs and state") {
    for (const Case& c : kCases) {
      CAPTURE(c.name);
      Recurrent<double> model(make_spec(c.cell, c.activation, {4, 3}));
      randomize(model, 5);
      const auto batch = make_batch<double>(2, 2, 3, 7, {0, 3, 6}, 2);
      model.reset_state(3);
      model.forward(batch, {0, 7}, true);
      const std::vector<Mat<double>> out{model.output(0), model.output(3), model.output(6)};
      const std::vector<Mat<double>> state = model.state();
      model.reset_state(3);
      model.forward(batch, {0, 7}, false);
      CHECK((model.output(0) - out[0]).norm() < 1e-14);
      CHECK((model.output(3) - out[1]).norm() < 1e-14);
      CHECK((model.output(6) - out[2]).norm() < 1e-14);
      for (std::size_t i = 0; i < state.size(); ++i)
        CHECK((model.state()[i] - state[i]).norm() < 1e-14);
    }
  }

  SUBCASE("workspaces per batch size keep their own state") {
    Recurrent<double> model(make_spec(ModelType::gru, Activation::tanh, {3}));
    randomize(model, 6);
    const auto big = make_batch<double>(2, 2, 4, 4, {3}, 2);
    const auto small = make_batch<double>(2, 2, 1, 4, {3}, 3);
    model.reset_state(4);
    model.forward(big, {0, 2}, true);
    const std::vector<Mat<double>> state = model.state();
    model.reset_state(1);
    model.forward(small, {0, 4}, true);
    CHECK(model.state()[0].cols() == 1);
    model.reset_state(4);
    CHECK(model.state()[0].isZero(0));
    model.set_state(state);
    CHECK(model.state()[0] == state[0]);
  }
}

TEST_CASE("layer statistics of a recurrent model") {
  const int steps = 5, batch_size = 3;
  const auto batch = make_batch<double>(2, 2, batch_size, steps, {2, 4}, 17);

  SUBCASE("act_mean/std over every h_t; readout delta = ||dy||; identity rnn delta = ||dh||") {
    for (const Case& c : kCases) {
      CAPTURE(c.name);
      Recurrent<double> model(make_spec(c.cell, c.activation, {3}));
      randomize(model, 8);
      // h_t of every step, read through the state after one-step forwards.
      model.reset_state(batch_size);
      double sum = 0, squares = 0, count = 0;
      for (int t = 0; t < steps; ++t) {
        model.forward(batch, {t, t + 1}, true);
        const Mat<double> h = model.state()[0];
        sum += h.sum();
        squares += h.squaredNorm();
        count += static_cast<double>(h.size());
      }
      model.collect_stats(true);
      model.reset_state(batch_size);
      forward_backward(model, batch, {0, steps});
      const auto& stats = model.layer_stats();
      REQUIRE(stats.size() == 2);
      CHECK(stats[0].hidden);
      CHECK_FALSE(stats[1].hidden);
      const double mean = sum / count;
      CHECK(stats[0].act_mean == doctest::Approx(mean).epsilon(1e-12));
      const double expected_std = std::sqrt(squares / count - mean * mean);
      CHECK(stats[0].act_std == doctest::Approx(expected_std).epsilon(1e-10));
      const double dy = std::sqrt(model.doutput(2).squaredNorm() + model.doutput(4).squaredNorm());
      CHECK(stats[1].delta_norm == doctest::Approx(dy).epsilon(1e-13));
      CHECK(stats[0].delta_norm > 0);
      if (c.activation == Activation::identity && c.cell == ModelType::rnn) {
        double dh = 0;
        for (double n : model.time_grad_norms()[0]) dh += n * n;
        CHECK(stats[0].delta_norm == doctest::Approx(std::sqrt(dh)).epsilon(1e-12));
        CHECK(stats[0].act_saturated == 0);
      }
    }
  }

  SUBCASE("saturation: tanh units with large weights, lstm gates with a large forget bias") {
    Recurrent<double> rnn(make_spec(ModelType::rnn, Activation::tanh, {8}));
    randomize(rnn, 9, 0.01);
    rnn.collect_stats(true);
    rnn.reset_state(batch_size);
    rnn.forward(batch, {0, steps}, true);
    CHECK(rnn.layer_stats()[0].act_saturated == 0);
    randomize(rnn, 9, 20.0);
    rnn.reset_state(batch_size);
    rnn.forward(batch, {0, steps}, true);
    CHECK(rnn.layer_stats()[0].act_saturated > 0.8);

    Recurrent<double> lstm(make_spec(ModelType::lstm, Activation::tanh, {8}));
    RecurrentInit init;
    init.input = {InitScheme::normal, 1.0, 0.01};
    init.recurrent = {InitScheme::normal, 1.0, 0.01};
    Rng rng(1);
    lstm.initialize(init, rng);
    lstm.collect_stats(true);
    lstm.reset_state(batch_size);
    lstm.forward(batch, {0, steps}, true);
    CHECK(lstm.layer_stats()[0].act_saturated == 0);
    init.forget_bias = 10;  // sigmoid(10): the forget gate, a quarter of the gates, saturates
    Rng rng2(1);
    lstm.initialize(init, rng2);
    lstm.reset_state(batch_size);
    lstm.forward(batch, {0, steps}, true);
    CHECK(lstm.layer_stats()[0].act_saturated == doctest::Approx(0.25));
  }
}

TEST_CASE("float and double instantiations agree") {
  for (const Case& c : kCases) {
    CAPTURE(c.name);
    const RecurrentSpec spec = make_spec(c.cell, c.activation, {4, 3});
    Recurrent<double> d(spec);
    Recurrent<float> f(spec);
    randomize(d, 12, 0.3);
    randomize(f, 12, 0.3);
    const auto bd = make_batch<double>(2, 2, 3, 8, {3, 7}, 4);
    const auto bf = make_batch<float>(2, 2, 3, 8, {3, 7}, 4);
    d.collect_stats(true);
    f.collect_stats(true);
    for (StepRange range : {StepRange{0, 4}, StepRange{4, 8}}) {
      if (range.begin == 0) {
        d.reset_state(3);
        f.reset_state(3);
      }
      const double ld = forward_backward(d, bd, range);
      const double lf = forward_backward(f, bf, range);
      CHECK(lf == doctest::Approx(ld).epsilon(1e-5));
      for (std::size_t i = 0; i < d.params().size(); ++i) {
        CAPTURE(d.params()[i].name);
        const Mat<double> gf = f.params()[i].grad.cast<double>();
        CHECK(relative_error(gf, d.params()[i].grad) < 1e-4);
      }
      CHECK(f.time_grad_norms()[0].size() == 4);
    }
  }
}

TEST_CASE("recurrent_spec and recurrent_init_spec read a model config") {
  ModelConfig config = default_config().model;
  config.type = ModelType::lstm;
  config.width = {8, 4};
  config.activation = Activation::relu;
  config.init = InitScheme::he_uniform;
  config.gain = 2.0;
  config.recurrent_init = InitScheme::identity;
  config.recurrent_gain = 0.5;
  config.spectral_radius = 0.9;
  config.bias_init = 0.1;
  config.forget_bias = 1.0;
  const RecurrentSpec spec = recurrent_spec(config, 3, 2);
  CHECK(spec.cell == ModelType::lstm);
  CHECK(spec.hidden == std::vector<int>{8, 4});
  CHECK(spec.inputs == 3);
  CHECK(spec.outputs == 2);
  CHECK(spec.activation.kind == Activation::relu);
  const RecurrentInit init = recurrent_init_spec(config);
  CHECK(init.input.scheme == InitScheme::he_uniform);
  CHECK(init.input.gain == 2.0);
  CHECK(init.recurrent_identity);
  CHECK(init.recurrent.gain == 0.5);
  CHECK(init.spectral_radius == 0.9);
  CHECK(init.bias_init == 0.1);
  CHECK(init.forget_bias == 1.0);
  config.type = ModelType::gru;
  config.recurrent_init = InitScheme::normal;
  config.recurrent_init_scale = 0.05;
  const RecurrentInit gru = recurrent_init_spec(config);
  CHECK_FALSE(gru.recurrent_identity);
  CHECK(gru.recurrent.scheme == InitScheme::normal);
  CHECK(gru.recurrent.scale == 0.05);
  CHECK(gru.forget_bias == 0.0);
  CHECK(recurrent_spec(config, 3, 2).cell == ModelType::gru);
}
