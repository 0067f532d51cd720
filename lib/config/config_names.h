// The names of nnlab's enum values in configs and files (kActivations.name(Activation::relu) ==
// "relu"), shared by the config reader, the key table and the writer. Internal to lib/.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.h"

namespace nnlab {

template <typename E, std::size_t N>
struct EnumNames {
  std::array<std::pair<E, std::string_view>, N> entries;
  std::string_view name(E e) const {
    for (const auto& [value, text] : entries)
      if (value == e) return text;
    return "?";
  }
  std::vector<std::string> all() const {
    std::vector<std::string> names;
    for (const auto& entry : entries) names.emplace_back(entry.second);
    return names;
  }
  std::optional<E> find(std::string_view text) const {
    for (const auto& [value, name] : entries)
      if (name == text) return value;
    return std::nullopt;
  }
};

inline constexpr EnumNames<Activation, 6> kActivations{{{
    {Activation::sigmoid, "sigmoid"}, {Activation::tanh, "tanh"}, {Activation::relu, "relu"},
    {Activation::leaky_relu, "leaky_relu"}, {Activation::elu, "elu"},
    {Activation::identity, "identity"}}}};
inline constexpr EnumNames<InitScheme, 11> kInits{{{
    {InitScheme::xavier_uniform, "xavier_uniform"}, {InitScheme::xavier_normal, "xavier_normal"},
    {InitScheme::he_uniform, "he_uniform"}, {InitScheme::he_normal, "he_normal"},
    {InitScheme::lecun_uniform, "lecun_uniform"}, {InitScheme::lecun_normal, "lecun_normal"},
    {InitScheme::orthogonal, "orthogonal"}, {InitScheme::standard, "standard"},
    {InitScheme::normal, "normal"}, {InitScheme::uniform, "uniform"},
    {InitScheme::identity, "identity"}}}};  // model.recurrent_init only
inline constexpr EnumNames<Output, 3> kOutputs{{{
    {Output::sigmoid, "sigmoid"}, {Output::softmax, "softmax"}, {Output::linear, "linear"}}}};
inline constexpr EnumNames<OptimizerKind, 4> kOptimizers{{{
    {OptimizerKind::sgd, "sgd"}, {OptimizerKind::momentum, "momentum"},
    {OptimizerKind::nesterov, "nesterov"}, {OptimizerKind::adam, "adam"}}}};
inline constexpr EnumNames<DataKind, 11> kDataKinds{{{
    {DataKind::xor_, "xor"}, {DataKind::circles, "circles"}, {DataKind::moons, "moons"},
    {DataKind::spirals, "spirals"}, {DataKind::blobs, "blobs"}, {DataKind::sine, "sine"},
    {DataKind::csv, "csv"}, {DataKind::adding, "adding"}, {DataKind::copy, "copy"},
    {DataKind::temporal_order, "temporal_order"}, {DataKind::text, "text"}}}};
inline constexpr EnumNames<Task, 2> kTasks{{{
    {Task::classification, "classification"}, {Task::regression, "regression"}}}};
inline constexpr EnumNames<DType, 2> kDTypes{{{{DType::float32, "float32"}, {DType::float64, "float64"}}}};
inline constexpr EnumNames<ModelType, 4> kModelTypes{{{
    {ModelType::mlp, "mlp"}, {ModelType::rnn, "rnn"}, {ModelType::lstm, "lstm"},
    {ModelType::gru, "gru"}}}};

// The names table of an enum type, for code that is generic over the enum.
constexpr const auto& enum_names(DType) { return kDTypes; }
constexpr const auto& enum_names(ModelType) { return kModelTypes; }
constexpr const auto& enum_names(Activation) { return kActivations; }
constexpr const auto& enum_names(InitScheme) { return kInits; }
constexpr const auto& enum_names(Output) { return kOutputs; }
constexpr const auto& enum_names(OptimizerKind) { return kOptimizers; }
constexpr const auto& enum_names(DataKind) { return kDataKinds; }
constexpr const auto& enum_names(Task) { return kTasks; }

}  // namespace nnlab
