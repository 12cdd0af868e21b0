// Mask R-CNN mask targets as a graph composition: detectron2's BitMasks.crop_and_resize — each RoI's matched
// full-image GT mask is sampled with ROIAlignV2 (aligned, adaptive sampling, scale 1) at M×M inside the RoI box
// and thresholded at 0.5.
//
// Choice: masks are a fixed-capacity tensor of full-image binary masks (KilnData's detection batches hold
// (images, instances, H, W) masks), so the op stays static. detectron2's COCO path rasterises *polygons* cropped
// to the box (PolygonMasks.crop_and_resize) instead; the two agree except on boundary pixels. Polygon-exact
// targets would be a host-side function over variable-length polygons (KilnData), which this part does not add.

import KilnIR

extension GraphBuilder {
    /// Binary mask targets (R, size, size) f32 in {0, 1}.
    /// - Parameters:
    ///   - masks: (G, H, W) full-image GT masks as 0/1 floats (all images' instances, e.g. reshaped from
    ///     (images, instances, H, W))
    ///   - gtIndex: (R,) integer row of `masks` matched to each RoI (e.g. `match(…, flatIndices: true)` gathered
    ///     at the sampled RoIs)
    ///   - boxes: (R, 4) RoI boxes (x0, y0, x1, y1) in the masks' pixels
    public mutating func maskTargets(masks: ValueID, gtIndex: ValueID, boxes: ValueID, size: Int) throws(ShapeError) -> ValueID {
        let mt = type(of: masks), it = type(of: gtIndex), bt = type(of: boxes)
        guard mt.rank == 3, mt.dtype.isFloatingPoint, it.rank == 1, it.dtype.isInteger, bt.shape == [it.shape[0], 4],
              bt.dtype == mt.dtype else {
            throw ShapeError(op: "mask_targets", inputs: [mt, it, bt],
                             message: "expects masks (G, H, W), integer gtIndex (R,) and boxes (R, 4) of the masks' type",
                             location: location)
        }
        let r = it.shape[0]
        let index = try cast(try reshape(gtIndex, [r, 1]), mt.dtype)
        let rois = try concat([index, boxes], axis: 1)
        let planes = try reshape(masks, mt.shape + [1])
        let sampled = try roiAlign(planes, rois: rois, RoIAlignAttributes(output: [size, size], spatialScale: 1, samplingRatio: 0, aligned: true))
        let inside = try greaterEqual(try reshape(sampled, [r, size, size]), scalar(0.5, mt.dtype))
        return try cast(inside, mt.dtype)
    }
}
