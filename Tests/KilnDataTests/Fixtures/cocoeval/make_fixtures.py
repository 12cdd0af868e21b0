#!/usr/bin/env python3
"""Reference numbers of pycocotools' COCOeval for KilnData's COCO evaluator (COCOEvalTests.swift).

Builds fixture sets deterministically (numpy default_rng with fixed seeds), one folder each holding gt.json, one or
more results files and expected.json, then runs pycocotools COCOeval (evaluate / accumulate / summarize) on every
listed evaluation and stores:
  stats    - the 12 numbers of summarize() (AP, AP50, AP75, APs, APm, APl, AR1, AR10, AR100, ARs, ARm, ARl);
  summary  - the 12 printed summary lines;
  recall   - eval['recall'], shape (T, K, A, M), flattened in C order;
  ap       - eval['precision'] averaged over the 101 recall points (T, K, A, M), -1 where undefined.
params.json holds pycocotools' iouThrs and recThrs (to check they are reproduced bit for bit).

Sets:
  boxes_mixed      boxes of every area range (with areas exactly 32^2 and 96^2), non-contiguous category ids,
                   empty images, jittered / duplicate / false-positive detections, detections for categories absent
                   from their image, tied scores; bbox with useCats on and off.
  crowds_many      crowd regions absorbing many detections, images with 150 and 260 detections (> maxDets),
                   detections with an unknown category id, empty images with detections, an annotation with id 0
                   (pycocotools counts a match to id 0 as unmatched); bbox.
  perfect          detections equal to the ground truth (boxes and masks), all scores tied; bbox and segm.
  terrible         detections that overlap nothing or carry the wrong category; bbox.
  masks            polygon (multi-part) ground truths, compressed-RLE ground truths and uncompressed-RLE crowds;
                   perturbed mask detections written three ways: box + mask (Detectron2 style, area = box area),
                   mask only (area = mask area, box = toBbox), box only (segm rasterises the box); bbox and segm.
  random_large     80 images, 6 categories (ids 1, 2, 5, 13, 21, 90), up to 120 random detections per image; bbox.

Run: python3 make_fixtures.py   (needs numpy and pycocotools; rewrites every file of the sets above)
"""
import contextlib
import io
import json
import os

import numpy as np
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

HERE = os.path.dirname(os.path.abspath(__file__))


def r2(v):
    return round(float(v), 2)


def write_json(path, value):
    with open(path, "w") as f:
        json.dump(value, f, separators=(",", ":"))
        f.write("\n")


def gt_file(images, annotations, category_ids):
    return {"images": images, "annotations": annotations,
            "categories": [{"id": c, "name": "class%d" % c, "supercategory": "thing"} for c in category_ids]}


def random_box(rng, width, height, side_lo=4, side_hi=300):
    w = float(min(width - 1, rng.uniform(side_lo, side_hi)))
    h = float(min(height - 1, w * rng.uniform(0.5, 2.0)))
    x = float(rng.uniform(0, width - w))
    y = float(rng.uniform(0, height - h))
    return [r2(x), r2(y), r2(w), r2(h)]


def jitter(rng, box, scale):
    x, y, w, h = box
    return [r2(x + rng.normal(0, scale) * w), r2(y + rng.normal(0, scale) * h),
            r2(max(1.0, w * (1 + rng.normal(0, scale)))), r2(max(1.0, h * (1 + rng.normal(0, scale))))]


# ---------------------------------------------------------------------------------------------------------- sets

def boxes_mixed():
    rng = np.random.default_rng(101)
    cats = [1, 4, 9]
    images, anns, dets = [], [], []
    for i in range(24):
        width, height = int(rng.integers(320, 641)), int(rng.integers(240, 481))
        image_id = 1000 + 7 * i
        images.append({"id": image_id, "file_name": "img%d.png" % image_id, "width": width, "height": height})
        if i % 8 == 5:
            # Empty image: no ground truth, a few detections (false positives for their category).
            for _ in range(3):
                dets.append({"image_id": image_id, "category_id": int(rng.choice(cats)),
                             "bbox": random_box(rng, width, height), "score": r2(rng.uniform(0.05, 0.95))})
            continue
        present = set()
        for j in range(int(rng.integers(1, 9))):
            cat = int(rng.choice(cats[:2] if i % 3 == 0 else cats))
            present.add(cat)
            if j == 0 and i % 4 == 1:
                box = [r2(rng.uniform(0, 100)), r2(rng.uniform(0, 100)), 32.0, 32.0]  # area exactly 32^2
            elif j == 0 and i % 4 == 2:
                box = [r2(rng.uniform(0, 100)), r2(rng.uniform(0, 100)), 96.0, 96.0]  # area exactly 96^2
            else:
                box = random_box(rng, width, height, side_lo=4, side_hi=[20, 60, 250][j % 3])
            anns.append({"id": len(anns) + 1, "image_id": image_id, "category_id": cat, "bbox": box,
                         "area": r2(box[2] * box[3]), "iscrowd": 0})
            if rng.uniform() < 0.8:
                scale = float(rng.choice([0.02, 0.08, 0.2]))
                score = round(float(rng.uniform(0.3, 1.0)), 1)  # one decimal: many ties
                dets.append({"image_id": image_id, "category_id": cat, "bbox": jitter(rng, box, scale), "score": score})
                if rng.uniform() < 0.2:  # duplicate
                    dets.append({"image_id": image_id, "category_id": cat, "bbox": jitter(rng, box, 0.05),
                                 "score": round(score * 0.7, 1)})
        for _ in range(int(rng.integers(0, 5))):  # false positives
            dets.append({"image_id": image_id, "category_id": int(rng.choice(cats)),
                         "bbox": random_box(rng, width, height), "score": r2(rng.uniform(0.0, 0.9))})
        absent = [c for c in cats if c not in present]
        if absent:  # a detection for a category the image does not contain
            dets.append({"image_id": image_id, "category_id": absent[0], "bbox": random_box(rng, width, height),
                         "score": r2(rng.uniform(0.2, 0.99))})
    return {"gt": gt_file(images, anns, cats), "results": {"results.json": dets},
            "evaluations": [("results.json", "bbox", 1), ("results.json", "bbox", 0)]}


def crowds_many():
    rng = np.random.default_rng(202)
    cats = [2, 3, 7, 11]
    images, anns, dets = [], [], []
    next_id = 0  # the first annotation has id 0 on purpose
    for i in range(12):
        width, height = 512, 384
        image_id = i + 1
        images.append({"id": image_id, "file_name": "c%d.png" % image_id, "width": width, "height": height})
        if i in (4, 9):  # empty images with detections
            for _ in range(6):
                dets.append({"image_id": image_id, "category_id": int(rng.choice(cats)),
                             "bbox": random_box(rng, width, height), "score": r2(rng.uniform(0, 1))})
            continue
        for j in range(int(rng.integers(2, 7))):
            cat = int(rng.choice(cats))
            box = random_box(rng, width, height, side_lo=8, side_hi=200)
            anns.append({"id": next_id, "image_id": image_id, "category_id": cat, "bbox": box,
                         "area": r2(box[2] * box[3]), "iscrowd": 0})
            next_id += 1
            dets.append({"image_id": image_id, "category_id": cat, "bbox": jitter(rng, box, 0.05),
                         "score": r2(rng.uniform(0.2, 1))})
        if i % 2 == 0:  # a crowd region with detections inside it
            cat = cats[i % len(cats)]
            crowd = [50.0, 40.0, 300.0, 250.0]
            anns.append({"id": next_id, "image_id": image_id, "category_id": cat, "bbox": crowd,
                         "area": r2(crowd[2] * crowd[3] * 0.6), "iscrowd": 1})
            next_id += 1
            for _ in range(int(rng.integers(3, 12))):
                w, h = r2(rng.uniform(10, 90)), r2(rng.uniform(10, 90))
                dets.append({"image_id": image_id, "category_id": cat, "score": r2(rng.uniform(0, 1)),
                             "bbox": [r2(rng.uniform(50, 350 - w)), r2(rng.uniform(40, 290 - h)), w, h]})
        if i in (2, 7):  # more than 100 detections in one image
            many = 150 if i == 2 else 260
            image_anns = [a for a in anns if a["image_id"] == image_id and not a["iscrowd"]]
            for k in range(many):
                base = image_anns[k % len(image_anns)]
                dets.append({"image_id": image_id, "category_id": base["category_id"] if k % 3 else int(rng.choice(cats)),
                             "bbox": jitter(rng, base["bbox"], 0.15), "score": r2(rng.uniform(0, 1))})
        dets.append({"image_id": image_id, "category_id": 99, "bbox": random_box(rng, width, height),
                     "score": 0.99})  # unknown category: ignored
    return {"gt": gt_file(images, anns, cats), "results": {"results.json": dets},
            "evaluations": [("results.json", "bbox", 1)]}


def polygon(rng, cx, cy, radius, n):
    angles = np.sort(rng.uniform(0, 2 * np.pi, n))
    radii = radius * rng.uniform(0.5, 1.0, n)
    return [r2(v) for v in np.stack([cx + radii * np.cos(angles), cy + radii * np.sin(angles)], 1).reshape(-1)]


def uncompressed(mask):
    """Column-major run lengths of a binary mask, starting with a 0-run (COCO's crowd format)."""
    flat = mask.reshape(-1, order="F").astype(np.uint8)
    counts, current, run = [], 0, 0
    for v in flat:
        if v != current:
            counts.append(run)
            run, current = 0, v
        run += 1
    counts.append(run)
    return counts


def perturbed(rng, mask):
    """A detection mask: the ground truth shifted by a few pixels, with some pixels flipped near it."""
    dy, dx = int(rng.integers(-4, 5)), int(rng.integers(-4, 5))
    out = np.roll(np.roll(mask, dy, 0), dx, 1)
    noise = rng.uniform(size=mask.shape) < 0.1
    return np.where(noise, 1 - out, out).astype(np.uint8) * (mask | out)


def mask_scenes(rng, count, perfect_results=False):
    cats = [3, 8]
    images, anns, boxed, masks_only, boxes_only = [], [], [], [], []
    for i in range(count):
        height, width = int(rng.integers(64, 221)), int(rng.integers(64, 221))
        image_id = 10 + i
        images.append({"id": image_id, "file_name": "m%d.png" % image_id, "width": width, "height": height})
        for j in range(int(rng.integers(1, 5))):
            cat = int(rng.choice(cats))
            radius = float(rng.choice([4.0, 12.0, 30.0, 90.0]))
            cx, cy = rng.uniform(0, width), rng.uniform(0, height)
            kind = (i + j) % 4
            crowd = 0
            if kind <= 1:  # polygons, sometimes two parts
                parts = [polygon(rng, cx, cy, radius, int(rng.integers(3, 10)))]
                if kind == 1:
                    parts.append(polygon(rng, cx + radius, cy, radius / 2, 5))
                rle = mask_utils.merge(mask_utils.frPyObjects(parts, height, width))
                segmentation = parts
            else:
                bits = np.zeros((height, width), dtype=np.uint8)
                ys, xs = np.mgrid[0:height, 0:width]
                bits[(xs - cx) ** 2 / radius ** 2 + (ys - cy) ** 2 / (0.6 * radius) ** 2 <= 1] = 1
                if bits.sum() == 0:
                    continue
                rle = mask_utils.encode(np.asfortranarray(bits))
                if kind == 3:  # crowd as uncompressed RLE
                    crowd = 1
                    segmentation = {"counts": uncompressed(bits), "size": [height, width]}
                else:
                    segmentation = {"counts": rle["counts"].decode("ascii"), "size": [height, width]}
            area = int(mask_utils.area(rle))
            if area == 0:
                continue
            box = [float(v) for v in mask_utils.toBbox(rle)]
            anns.append({"id": len(anns) + 1, "image_id": image_id, "category_id": cat, "segmentation": segmentation,
                         "area": area, "bbox": box, "iscrowd": crowd})
            bits = mask_utils.decode(rle)
            detected = bits if perfect_results else perturbed(rng, bits)
            if detected.sum() == 0:
                continue
            det_rle = mask_utils.encode(np.asfortranarray(detected))
            det_mask = {"counts": det_rle["counts"].decode("ascii"), "size": [height, width]}
            det_box = [float(v) for v in mask_utils.toBbox(det_rle)]
            score = 1.0 if perfect_results else r2(rng.uniform(0.1, 1))
            boxed.append({"image_id": image_id, "category_id": cat, "bbox": det_box, "score": score,
                          "segmentation": det_mask})
            masks_only.append({"image_id": image_id, "category_id": cat, "score": score, "segmentation": det_mask})
            boxes_only.append({"image_id": image_id, "category_id": cat, "score": score, "bbox": det_box})
        if not perfect_results:  # a false positive mask per image
            bits = np.zeros((height, width), dtype=np.uint8)
            y, x = int(rng.integers(0, height - 10)), int(rng.integers(0, width - 10))
            bits[y:y + 10, x:x + int(rng.integers(3, 10))] = 1
            det_rle = mask_utils.encode(np.asfortranarray(bits))
            det_mask = {"counts": det_rle["counts"].decode("ascii"), "size": [height, width]}
            det_box = [float(v) for v in mask_utils.toBbox(det_rle)]
            score = r2(rng.uniform(0, 0.6))
            cat = int(rng.choice(cats))
            boxed.append({"image_id": image_id, "category_id": cat, "bbox": det_box, "score": score,
                          "segmentation": det_mask})
            masks_only.append({"image_id": image_id, "category_id": cat, "score": score, "segmentation": det_mask})
            boxes_only.append({"image_id": image_id, "category_id": cat, "score": score, "bbox": det_box})
    return gt_file(images, anns, cats), boxed, masks_only, boxes_only


def masks():
    gt, boxed, masks_only, boxes_only = mask_scenes(np.random.default_rng(303), 14)
    return {"gt": gt, "results": {"results.json": boxed, "results_masks_only.json": masks_only,
                                  "results_boxes_only.json": boxes_only},
            "evaluations": [("results.json", "bbox", 1), ("results.json", "segm", 1),
                            ("results_masks_only.json", "bbox", 1), ("results_masks_only.json", "segm", 1),
                            ("results_boxes_only.json", "segm", 1)]}


def perfect():
    gt, boxed, _, _ = mask_scenes(np.random.default_rng(404), 8, perfect_results=True)
    return {"gt": gt, "results": {"results.json": boxed},
            "evaluations": [("results.json", "bbox", 1), ("results.json", "segm", 1)]}


def terrible():
    rng = np.random.default_rng(505)
    cats = [5, 6]
    images, anns, dets = [], [], []
    for i in range(8):
        image_id = 100 + i
        images.append({"id": image_id, "file_name": "t%d.png" % image_id, "width": 400, "height": 400})
        for _ in range(3):
            box = [r2(rng.uniform(0, 150)), r2(rng.uniform(0, 150)), r2(rng.uniform(5, 50)), r2(rng.uniform(5, 50))]
            cat = int(rng.choice(cats))
            anns.append({"id": len(anns) + 1, "image_id": image_id, "category_id": cat, "bbox": box,
                         "area": r2(box[2] * box[3]), "iscrowd": 0})
            # Right place, wrong category, and right category far away.
            dets.append({"image_id": image_id, "category_id": 11 - cat, "bbox": box, "score": 0.9})
            dets.append({"image_id": image_id, "category_id": cat, "score": r2(rng.uniform(0, 1)),
                         "bbox": [r2(rng.uniform(250, 300)), r2(rng.uniform(250, 300)), 40.0, 40.0]})
    return {"gt": gt_file(images, anns, cats), "results": {"results.json": dets},
            "evaluations": [("results.json", "bbox", 1)]}


def random_large():
    rng = np.random.default_rng(606)
    cats = [1, 2, 5, 13, 21, 90]
    images, anns, dets = [], [], []
    for i in range(80):
        width, height = int(rng.integers(200, 801)), int(rng.integers(200, 801))
        image_id = int(3 * i + 5)
        images.append({"id": image_id, "file_name": "r%d.png" % image_id, "width": width, "height": height})
        boxes = []
        for _ in range(int(rng.integers(0, 16))):
            cat = int(rng.choice(cats))
            box = random_box(rng, width, height, side_lo=3, side_hi=float(rng.choice([30, 90, 400])))
            crowd = int(rng.uniform() < 0.05)
            anns.append({"id": len(anns) + 1, "image_id": image_id, "category_id": cat, "bbox": box,
                         "area": r2(box[2] * box[3] * rng.uniform(0.5, 1.0)), "iscrowd": crowd})
            boxes.append((cat, box))
        for _ in range(int(rng.integers(0, 121))):
            if boxes and rng.uniform() < 0.6:
                cat, box = boxes[int(rng.integers(0, len(boxes)))]
                det = jitter(rng, box, float(rng.choice([0.03, 0.1, 0.3])))
            else:
                cat, det = int(rng.choice(cats)), random_box(rng, width, height)
            dets.append({"image_id": image_id, "category_id": cat, "bbox": det, "score": r2(rng.uniform(0, 1))})
    return {"gt": gt_file(images, anns, cats), "results": {"results.json": dets},
            "evaluations": [("results.json", "bbox", 1)]}


# ------------------------------------------------------------------------------------------------------ evaluate

def evaluate(gt_path, results_path, iou_type, use_cats):
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO(gt_path)
        dt = gt.loadRes(results_path)
        ev = COCOeval(gt, dt, iou_type)
        ev.params.useCats = use_cats
        ev.evaluate()
        ev.accumulate()
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        ev.summarize()
    precision = ev.eval["precision"]  # T, R, K, A, M
    valid = (precision > -1).all(axis=1)
    ap = np.where(valid, precision.mean(axis=1), -1.0)
    return {"results": os.path.basename(results_path), "iouType": iou_type, "useCats": use_cats,
            "stats": [float(v) for v in ev.stats], "summary": printed.getvalue().rstrip("\n").split("\n"),
            "recall": [float(v) for v in ev.eval["recall"].reshape(-1)],
            "ap": [float(v) for v in ap.reshape(-1)]}


def main():
    params = COCOeval(iouType="bbox").params
    write_json(os.path.join(HERE, "params.json"),
               {"iouThrs": [float(v) for v in params.iouThrs], "recThrs": [float(v) for v in params.recThrs]})
    sets = {"boxes_mixed": boxes_mixed, "crowds_many": crowds_many, "perfect": perfect, "terrible": terrible,
            "masks": masks, "random_large": random_large}
    for name, build in sets.items():
        folder = os.path.join(HERE, name)
        os.makedirs(folder, exist_ok=True)
        fixture = build()
        write_json(os.path.join(folder, "gt.json"), fixture["gt"])
        for file_name, results in fixture["results"].items():
            write_json(os.path.join(folder, file_name), results)
        evaluations = [evaluate(os.path.join(folder, "gt.json"), os.path.join(folder, results), iou_type, use_cats)
                       for results, iou_type, use_cats in fixture["evaluations"]]
        write_json(os.path.join(folder, "expected.json"), {"evaluations": evaluations})
        print(name, [(e["results"], e["iouType"], e["useCats"], round(e["stats"][0], 4)) for e in evaluations])


if __name__ == "__main__":
    main()
