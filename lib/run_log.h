// The CSV files of a run, written by a TrainObserver (see README "Outputs" for the schemas):
//   metrics.csv      step,epoch,loss,grad_norm,clipped,grad_norm_clipped,lr   (every step)
//   grad_norms.csv   step,layer,param,grad_norm,value_norm                    (logged steps)
//   activations.csv  step,layer,mean,std,saturated                           (logged steps)
//   eval.csv         epoch,step,train_loss,train_accuracy,test_loss,test_accuracy
// Numbers are printed in the model's dtype, so a float32 run writes float32's shortest forms.
#pragma once

#include <filesystem>

#include "csv.h"
#include "trainer.h"

namespace nnlab {

template <typename T>
class RunLogger final : public TrainObserver<T> {
 public:
  explicit RunLogger(const std::filesystem::path& dir);
  void on_step(const StepInfo& info, Model<T>& model) override;
  void on_eval(const EvalInfo& info) override;

 private:
  CsvWriter metrics_, grad_norms_, activations_, eval_;
};

}  // namespace nnlab
