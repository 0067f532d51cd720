// Buffers kept per batch size: a model's workspaces and the trainer's batches are made the first
// time a size is asked for (training's batch, a last partial batch, evaluation's) and reused,
// so that the step loop allocates nothing.
#pragma once

#include <memory>
#include <vector>

namespace nnlab {

// The buffer of `kept` whose size_of() is `size`, or a new one from make(), kept from then on.
template <typename W, typename SizeOf, typename Make>
W& kept_for_size(std::vector<std::unique_ptr<W>>& kept, int size, SizeOf size_of, Make make) {
  for (auto& w : kept)
    if (size_of(*w) == size) return *w;
  kept.push_back(make());
  return *kept.back();
}

}  // namespace nnlab
