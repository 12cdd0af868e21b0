#!/usr/bin/env python3
"""Reference outputs of pycocotools (pip install pycocotools numpy) for KilnData's RLE tests.

Writes pycocotools_fixtures.json next to this script:
- polygons: random polygons (convex, concave, self-intersecting, partly outside the image, repeated points)
  rasterised with mask.frPyObjects -> compressed counts, area, toBbox;
- masks: random row-major masks -> mask.encode -> compressed counts (and the uncompressed counts);
- merges: union / intersection of random polygon pairs with mask.merge;
- iou: mask.iou and box iou matrices with crowd flags;
- labelme: every annotation of labelme-examples' instance_segmentation COCO file, polygons merged as annToRLE does.
Run: python3 make_pycocotools_fixtures.py
"""
import json
import os

import numpy as np
from pycocotools import mask as mask_utils

rng = np.random.default_rng(20240611)
out = {"polygons": [], "masks": [], "merges": [], "iou": [], "labelme": []}


def rle_json(r):
    return r["counts"].decode("ascii")


def random_polygon(h, w):
    kind = rng.integers(0, 4)
    n = int(rng.integers(3, 12))
    if kind == 0:  # star-shaped (concave) around a centre, may leave the image
        cx, cy = rng.uniform(-0.2 * w, 1.2 * w), rng.uniform(-0.2 * h, 1.2 * h)
        angles = np.sort(rng.uniform(0, 2 * np.pi, n))
        radii = rng.uniform(1, 0.6 * max(h, w), n)
        pts = np.stack([cx + radii * np.cos(angles), cy + radii * np.sin(angles)], 1)
    elif kind == 1:  # arbitrary (self-intersecting) inside the image
        pts = np.stack([rng.uniform(0, w, n), rng.uniform(0, h, n)], 1)
    elif kind == 2:  # integer vertices with a repeated point
        pts = np.stack([rng.integers(0, w, n), rng.integers(0, h, n)], 1).astype(float)
        pts[1] = pts[0]
    else:  # tiny triangle
        x, y = rng.uniform(0, w), rng.uniform(0, h)
        pts = np.array([[x, y], [x + rng.uniform(0, 3), y], [x, y + rng.uniform(0, 3)]])
    return [float(v) for v in pts.reshape(-1)]


for case in range(120):
    h, w = int(rng.integers(1, 60)), int(rng.integers(1, 60))
    poly = random_polygon(h, w)
    r = mask_utils.frPyObjects([poly], h, w)[0]
    out["polygons"].append({"height": h, "width": w, "polygon": poly, "counts": rle_json(r),
                            "area": int(mask_utils.area(r)), "bbox": mask_utils.toBbox(r).tolist()})

for case in range(40):
    h, w = int(rng.integers(1, 40)), int(rng.integers(1, 40))
    density = rng.uniform(0, 1)
    m = (rng.uniform(0, 1, (h, w)) < density).astype(np.uint8)
    r = mask_utils.encode(np.asfortranarray(m))
    counts = []
    flat = m.reshape(-1, order="F")
    cur, run = 0, 0
    for b in flat:
        if b != cur:
            counts.append(run); run = 0; cur = b
        run += 1
    counts.append(run)
    out["masks"].append({"height": h, "width": w, "bits": m.reshape(-1).tolist(), "counts": rle_json(r),
                         "uncompressed": [int(c) for c in counts], "area": int(mask_utils.area(r)),
                         "bbox": mask_utils.toBbox(r).tolist()})

for case in range(30):
    h, w = int(rng.integers(5, 50)), int(rng.integers(5, 50))
    a, b = random_polygon(h, w), random_polygon(h, w)
    ra, rb = mask_utils.frPyObjects([a, b], h, w)
    out["merges"].append({"height": h, "width": w, "a": a, "b": b,
                          "union": rle_json(mask_utils.merge([ra, rb], intersect=False)),
                          "intersection": rle_json(mask_utils.merge([ra, rb], intersect=True))})

for case in range(10):
    h, w = int(rng.integers(10, 50)), int(rng.integers(10, 50))
    dts = [random_polygon(h, w) for _ in range(3)]
    gts = [random_polygon(h, w) for _ in range(4)]
    crowd = [int(v) for v in rng.integers(0, 2, 4)]
    rd = mask_utils.frPyObjects(dts, h, w)
    rg = mask_utils.frPyObjects(gts, h, w)
    dbox = [[float(v) for v in rng.uniform(0, 30, 4)] for _ in range(3)]
    gbox = [[float(v) for v in rng.uniform(0, 30, 4)] for _ in range(4)]
    out["iou"].append({"height": h, "width": w, "dt": dts, "gt": gts, "crowd": crowd,
                       "maskIoU": mask_utils.iou(rd, rg, crowd).tolist(),
                       "dtBoxes": dbox, "gtBoxes": gbox,
                       "boxIoU": mask_utils.iou(np.array(dbox), np.array(gbox), crowd).tolist()})

labelme = "/usr/share/doc/labelme-examples/examples/instance_segmentation/data_dataset_coco/annotations.json"
if os.path.exists(labelme):
    data = json.load(open(labelme))
    sizes = {im["id"]: (im["height"], im["width"]) for im in data["images"]}
    for ann in data["annotations"]:
        h, w = sizes[ann["image_id"]]
        r = mask_utils.merge(mask_utils.frPyObjects(ann["segmentation"], h, w))
        out["labelme"].append({"id": ann["id"], "counts": rle_json(r), "area": int(mask_utils.area(r)),
                               "bbox": mask_utils.toBbox(r).tolist()})

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pycocotools_fixtures.json")
with open(path, "w") as f:
    json.dump(out, f, indent=0, sort_keys=True)
print("wrote", path)
