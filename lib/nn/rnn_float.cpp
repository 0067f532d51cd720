// Recurrent<float>: compiled apart from the other scalar type (rnn_layers.h).
#include "nn/rnn_layers.h"

namespace nnlab {
template class Recurrent<float>;
}  // namespace nnlab
