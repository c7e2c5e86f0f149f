"""Running a lifter on data: checkpoints, the one loop that runs a model over sequences, root
trajectories, post-filters, output guards, BVH, keypoint detection, predict, pictures and ONNX export
(docs/design.md)."""
