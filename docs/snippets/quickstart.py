import numpy as np

import skelgnn

keypoints = np.load("examples/keypoints_coco17.npy")  # (frames, 17, 3): x, y in pixels, confidence
lifter = skelgnn.Lifter.default()  # the bundled model; skelgnn.Lifter.load("best.pt") for your own
result = lifter.lift(keypoints, width=1000, height=1000, layout="coco17", fps=30)
print(result.joints_3d.shape)  # 3D joints in millimetres, camera frame, pelvis-relative
result.to_bvh("walk.bvh")
