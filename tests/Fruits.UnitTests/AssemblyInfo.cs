// Each test collection runs real silos and ONNX sessions; on a 2-core machine running them one after
// another is faster and keeps timings meaningful.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
