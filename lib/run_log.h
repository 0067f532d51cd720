// The CSV files of a run, written by a TrainObserver (see README "Outputs" for the schemas):
//   metrics.csv      step,epoch,loss,grad_norm,clipped,grad_norm_clipped,lr   (every step)
//   grad_norms.csv   step,layer,param,grad_norm,value_norm                    (logged steps)
//   activations.csv  step,layer,mean,std,saturated                           (logged steps)
//   eval.csv         epoch,step,train_loss,train_accuracy,test_loss,test_accuracy
//   time_grad_norms.csv  step,layer,t,grad_norm  (recurrent models, logged steps)
// Numbers are printed in the model's dtype, so a float32 run writes float32's shortest forms.
#pragma once

#include <filesystem>
#include <memory>

#include "csv.h"
#include "trainer.h"

namespace nnlab {

template <typename T>
class RunLogger final : public TrainObserver<T> {
 public:
  RunLogger(const std::filesystem::path& dir, bool recurrent);
  void on_step(const StepInfo& info, Model<T>& model) override;
  void on_eval(const EvalInfo& info) override;

 private:
  CsvWriter metrics_, grad_norms_, activations_, eval_;
  std::unique_ptr<CsvWriter> time_grad_norms_;  // recurrent models only
};

}  // namespace nnlab
