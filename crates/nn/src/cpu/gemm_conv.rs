//! Convolution of f32 NCHW data as im2col + GEMM (the `gemm` crate's
//! kernels), tiled over output positions so that each tile's column matrix
//! stays near the cache, the tiles spread over rayon's threads.
//!
//! A style network's reflection padding and nearest ×2 upsampling are read
//! through the addressing ([`Edge::Reflect`]) instead of being copied out
//! first. The weight gradient multiplies the output gradient by the
//! input's column matrix; the input gradient is, at stride 1, a forward
//! convolution of the output gradient with the flipped, transposed weight,
//! and strided, the column matrix's gradient added back onto the input.

use std::cell::Cell;

use gemm::{Parallelism, gemm};
use rayon::prelude::*;

thread_local! {
    /// This thread's column matrix, kept between tiles and convolutions:
    /// allocating and zeroing one (up to 8 MB) per task was about 5 % of a
    /// training step. At most one per thread, the largest tile's.
    static COLUMNS: Cell<Vec<f32>> = const { Cell::new(Vec::new()) };
}

/// Runs `f` on this thread's column matrix, at least `len` values long. It
/// is taken out while `f` runs, so a task rayon runs inside `f` (while a
/// GEMM waits on its threads) gets a buffer of its own.
fn with_columns<R>(len: usize, f: impl FnOnce(&mut [f32]) -> R) -> R {
    let mut col = COLUMNS.take();
    if col.len() < len {
        col.resize(len, 0.0);
    }
    let result = f(&mut col[..len]);
    COLUMNS.set(col);
    result
}

/// What a window reads beyond the input's edges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Edge {
    /// Zeros.
    Zero,
    /// The input upsampled ×[`Geometry::upsample`] (nearest), mirrored at
    /// its edges (the edge pixel not repeated), as `nn::reflect_pad` pads.
    Reflect,
}

/// One convolution: its data's sizes and how windows read the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Geometry {
    pub batch: usize,
    pub channels_in: usize,
    /// Input height and width.
    pub input: [usize; 2],
    pub channels_out: usize,
    pub kernel: [usize; 2],
    pub stride: [usize; 2],
    /// Where the first window's first tap reads (minus the padding).
    pub offset: [isize; 2],
    /// Output height and width.
    pub output: [usize; 2],
    pub edge: Edge,
    /// Nearest upsampling factor of [`Edge::Reflect`] (1 for [`Edge::Zero`]).
    pub upsample: usize,
}

impl Geometry {
    /// A stage of a style network: the input upsampled ×`upsample`, padded
    /// by mirroring `kernel / 2` pixels, convolved with stride `stride`;
    /// `None` where the padding reaches past the (upsampled) input.
    pub(crate) fn reflect(
        [batch, channels_in, h, w]: [usize; 4],
        [channels_out, kernel]: [usize; 2],
        stride: usize,
        upsample: usize,
    ) -> Option<Geometry> {
        let pad = kernel / 2;
        let (vh, vw) = (h * upsample, w * upsample);
        if pad >= vh || pad >= vw || stride == 0 || kernel % 2 == 0 {
            return None;
        }
        Some(Geometry {
            batch,
            channels_in,
            input: [h, w],
            channels_out,
            kernel: [kernel, kernel],
            stride: [stride, stride],
            offset: [-(pad as isize), -(pad as isize)],
            output: [vh.div_ceil(stride), vw.div_ceil(stride)],
            edge: Edge::Reflect,
            upsample,
        })
    }

    /// Rows of the column matrix: input channels × kernel taps.
    fn taps(&self) -> usize {
        self.channels_in * self.kernel[0] * self.kernel[1]
    }

    fn positions(&self) -> usize {
        self.output[0] * self.output[1]
    }

    /// Output positions per tile and the number of tiles per image: a
    /// column matrix of about 1 MB per tile for thin layers (it stays in
    /// the core's cache between im2col and the GEMM), 8 MB from 64 output
    /// channels (each task packs the whole weight again: measured, 1 MB
    /// tiles cost VGG16's 256-channel layers a fifth more, 8 MB tiles the
    /// 9×9 3→32 layer half more), never fewer than 256 positions; and
    /// tasks (images × tiles) a multiple of the threads where that keeps
    /// tiles of 64 positions or more.
    fn tiling(&self) -> (usize, usize) {
        let positions = self.positions().max(1);
        let floats = if self.channels_out >= 64 {
            1 << 21
        } else {
            1 << 18
        };
        let largest = (floats / self.taps().max(1)).max(256);
        let mut tiles = positions.div_ceil(largest);
        let threads = rayon::current_num_threads();
        let even = (self.batch * tiles)
            .next_multiple_of(threads)
            .div_ceil(self.batch.max(1));
        if positions / even >= 64 {
            tiles = even;
        }
        let tile = positions.div_ceil(tiles);
        (tile, positions.div_ceil(tile))
    }

    /// The input row or column that output `o`'s tap `k` reads on `axis`.
    fn source(&self, axis: usize, o: usize, k: usize) -> Option<usize> {
        let at = (o * self.stride[axis] + k) as isize + self.offset[axis];
        match self.edge {
            Edge::Zero => usize::try_from(at).ok().filter(|&at| at < self.input[axis]),
            Edge::Reflect => {
                let size = (self.input[axis] * self.upsample) as isize;
                let at = match at {
                    at if at < 0 => -at,
                    at if at >= size => 2 * (size - 1) - at,
                    at => at,
                };
                Some(at as usize / self.upsample)
            }
        }
    }

    /// Whether a row of windows reads a run of neighbouring input pixels.
    fn contiguous(&self) -> bool {
        self.stride[1] == 1 && self.upsample == 1
    }

    /// For each kernel column and output column (`[kw][ow]`), the input
    /// column read, `u32::MAX` for zero.
    fn columns(&self) -> Vec<u32> {
        let [_, kw] = self.kernel;
        let ow = self.output[1];
        (0..kw * ow)
            .map(|i| {
                self.source(1, i % ow, i / ow)
                    .map_or(u32::MAX, |x| x as u32)
            })
            .collect()
    }

    /// At stride 1, the geometry whose forward pass is this one's input
    /// gradient: over the output gradient, the kernel flipped
    /// ([`flip_transpose`]), back to the input's size.
    #[cfg(feature = "autodiff")]
    fn input_gradient(&self) -> Geometry {
        debug_assert_eq!(self.edge, Edge::Zero, "only zero padding is differentiated");
        debug_assert_eq!(self.stride, [1, 1], "strided gradients go through col2im");
        let offset = |axis: usize| -self.offset[axis] - (self.kernel[axis] as isize - 1);
        Geometry {
            batch: self.batch,
            channels_in: self.channels_out,
            input: self.output,
            channels_out: self.channels_in,
            kernel: self.kernel,
            stride: [1, 1],
            offset: [offset(0), offset(1)],
            output: self.input,
            edge: Edge::Zero,
            upsample: 1,
        }
    }
}

/// A pointer the tasks write disjoint parts of the output through.
#[derive(Clone, Copy)]
struct Shared(*mut f32);
// SAFETY: every task writes its own output columns only.
unsafe impl Send for Shared {}
unsafe impl Sync for Shared {}

impl Shared {
    /// The pointer (a method, so that closures capture the `Sync` whole).
    fn get(self) -> *mut f32 {
        self.0
    }
}

/// Fills `col` (`taps × len`, row-major) with the input values that
/// output positions `first..first + len` of one image read; `columns` is
/// [`Geometry::columns`].
fn im2col(image: &[f32], g: &Geometry, columns: &[u32], first: usize, len: usize, col: &mut [f32]) {
    let [kh, kw] = g.kernel;
    let [h, w] = g.input;
    let width = g.output[1];
    let contiguous = g.contiguous();
    for ci in 0..g.channels_in {
        let plane = &image[ci * h * w..(ci + 1) * h * w];
        for ky in 0..kh {
            for kx in 0..kw {
                let row = ((ci * kh + ky) * kw + kx) * len;
                let row = &mut col[row..row + len];
                let sources = &columns[kx * width..(kx + 1) * width];
                let mut j = 0;
                while j < len {
                    let (oy, ox) = ((first + j) / width, (first + j) % width);
                    let run = (width - ox).min(len - j);
                    let out = &mut row[j..j + run];
                    match g.source(0, oy, ky) {
                        None => out.fill(0.0),
                        Some(iy) => {
                            let line = &plane[iy * w..(iy + 1) * w];
                            let start = ox as isize + kx as isize + g.offset[1];
                            match g.edge {
                                Edge::Zero if contiguous => copy_shifted(out, line, start),
                                Edge::Reflect if contiguous => copy_reflected(out, line, start),
                                _ => {
                                    for (value, &x) in out.iter_mut().zip(&sources[ox..ox + run]) {
                                        *value = if x == u32::MAX { 0.0 } else { line[x as usize] };
                                    }
                                }
                            }
                        }
                    }
                    j += run;
                }
            }
        }
    }
}

/// `out[i] = line[start + i]` mirrored at the line's ends (the end pixel
/// not repeated); `start` reaches less than a line's length past them.
fn copy_reflected(out: &mut [f32], line: &[f32], start: isize) {
    let (len, width) = (out.len() as isize, line.len() as isize);
    let from = (-start).clamp(0, len);
    let to = (width - start).clamp(from, len);
    for i in 0..from {
        out[i as usize] = line[(-(start + i)) as usize];
    }
    for i in to..len {
        out[i as usize] = line[(2 * (width - 1) - (start + i)) as usize];
    }
    if from < to {
        let begin = (start + from) as usize;
        out[from as usize..to as usize].copy_from_slice(&line[begin..begin + (to - from) as usize]);
    }
}

/// `out[i] = line[start + i]`, zero where that is outside `line`.
fn copy_shifted(out: &mut [f32], line: &[f32], start: isize) {
    let len = out.len() as isize;
    let from = (-start).clamp(0, len) as usize;
    let to = (line.len() as isize - start).clamp(from as isize, len) as usize;
    out[..from].fill(0.0);
    out[to..].fill(0.0);
    if from < to {
        let begin = (start + from as isize) as usize;
        out[from..to].copy_from_slice(&line[begin..begin + (to - from)]);
    }
}

/// A matrix in memory: its first value, and how many values apart its
/// columns and its rows are.
#[derive(Clone, Copy)]
struct Strided<P> {
    at: P,
    columns: isize,
    rows: isize,
}

impl<P> Strided<P> {
    fn new(at: P, columns: usize, rows: usize) -> Self {
        Strided {
            at,
            columns: columns as isize,
            rows: rows as isize,
        }
    }
}

/// `dst [m × n] = lhs [m × k] · rhs [k × n]`, added to `dst`'s values
/// where `accumulate`, on the `gemm` crate's kernels.
///
/// # Safety
/// Every value each matrix's strides address lies inside its allocation,
/// and no one else reads or writes `dst`'s meanwhile.
unsafe fn product(
    [m, n, k]: [usize; 3],
    dst: Strided<*mut f32>,
    accumulate: bool,
    lhs: Strided<*const f32>,
    rhs: Strided<*const f32>,
    parallelism: Parallelism,
) {
    // SAFETY: the caller's.
    unsafe {
        gemm(
            m,
            n,
            k,
            dst.at,
            dst.columns,
            dst.rows,
            accumulate,
            lhs.at,
            lhs.columns,
            lhs.rows,
            rhs.at,
            rhs.columns,
            rhs.rows,
            1.0,
            1.0,
            false,
            false,
            false,
            parallelism,
        );
    }
}

/// GEMM threads inside a task only when there are too few tasks to keep
/// every thread busy.
fn inner_parallelism(tasks: usize) -> Parallelism {
    if tasks < rayon::current_num_threads() {
        Parallelism::Rayon(0)
    } else {
        Parallelism::None
    }
}

/// `y = conv(x, weight) + bias`: `x` `[N, Cin, H, W]`, `weight`
/// `[Cout, Cin, kh, kw]`, `bias` `[Cout]`; `[N, Cout, oh, ow]` out.
pub(crate) fn forward(x: &[f32], weight: &[f32], bias: Option<&[f32]>, g: &Geometry) -> Vec<f32> {
    let (taps, positions, (tile, tiles)) = (g.taps(), g.positions(), g.tiling());
    let image = g.channels_in * g.input[0] * g.input[1];
    let cout = g.channels_out;
    let mut y = vec![0.0f32; g.batch * cout * positions];
    if positions == 0 || taps == 0 {
        // No input channels: the bias alone.
        if let Some(bias) = bias {
            for (i, plane) in y.chunks_exact_mut(positions.max(1)).enumerate() {
                plane.fill(bias[i % cout]);
            }
        }
        return y;
    }
    let tasks = g.batch * tiles;
    let parallelism = inner_parallelism(tasks);
    let columns = g.columns();
    let out = Shared(y.as_mut_ptr());
    (0..tasks).into_par_iter().for_each(|task| {
        with_columns(taps * tile, |col| {
            let (n, first) = (task / tiles, (task % tiles) * tile);
            let len = tile.min(positions - first);
            im2col(&x[n * image..(n + 1) * image], g, &columns, first, len, col);
            // SAFETY: this task's columns `first..first + len` of image
            // `n`'s `cout` rows lie inside `y` and no other task's.
            unsafe {
                let dst = out.get().add(n * cout * positions + first);
                if let Some(bias) = bias {
                    for (co, &b) in bias.iter().enumerate() {
                        std::slice::from_raw_parts_mut(dst.add(co * positions), len).fill(b);
                    }
                }
                // y^T [len × cout] = col^T [len × taps] · weight^T [taps × cout]
                product(
                    [len, cout, taps],
                    Strided::new(dst, positions, 1),
                    bias.is_some(),
                    Strided::new(col.as_ptr(), len, 1),
                    Strided::new(weight.as_ptr(), taps, 1),
                    parallelism,
                );
            }
        })
    });
    y
}

/// The gradient of [`forward`]'s output with respect to `weight`,
/// `[Cout, Cin, kh, kw]`, given the output's gradient `grad`.
#[cfg(feature = "autodiff")]
pub(crate) fn weight_gradient(x: &[f32], grad: &[f32], g: &Geometry) -> Vec<f32> {
    let (taps, positions, (tile, tiles)) = (g.taps(), g.positions(), g.tiling());
    let image = g.channels_in * g.input[0] * g.input[1];
    let cout = g.channels_out;
    if positions == 0 || taps == 0 {
        return vec![0.0; cout * taps];
    }
    let tasks = g.batch * tiles;
    let parallelism = inner_parallelism(tasks);
    let columns = g.columns();
    (0..tasks)
        .into_par_iter()
        .fold(
            || vec![0.0f32; cout * taps],
            |mut sum, task| {
                let (n, first) = (task / tiles, (task % tiles) * tile);
                let len = tile.min(positions - first);
                with_columns(taps * tile, |col| {
                    im2col(&x[n * image..(n + 1) * image], g, &columns, first, len, col);
                    let rows = &grad[n * cout * positions + first..];
                    // SAFETY: `sum` is this fold's own; `col` holds `taps × len`
                    // values and `rows` reaches `cout` rows of `len` values.
                    unsafe {
                        // sum^T [taps × cout] += col [taps × len] · grad^T [len × cout]
                        product(
                            [taps, cout, len],
                            Strided::new(sum.as_mut_ptr(), taps, 1),
                            true,
                            Strided::new(col.as_ptr(), 1, len),
                            Strided::new(rows.as_ptr(), positions, 1),
                            parallelism,
                        );
                    }
                });
                sum
            },
        )
        .reduce(
            || vec![0.0f32; cout * taps],
            |mut a, b| {
                a.iter_mut().zip(&b).for_each(|(a, b)| *a += b);
                a
            },
        )
}

/// The gradient of [`forward`]'s output with respect to `x`, given the
/// output's gradient `grad`. At stride 1, a forward convolution of `grad`
/// with the flipped, transposed weight. Strided, per image and a tile at a
/// time, the column matrix's gradient (`grad` times the weight) added back
/// onto the pixels it was read from ([`col2im`]): the forward pass would
/// read `grad` dilated, three quarters of its multiply-adds on zeros at
/// stride 2.
#[cfg(feature = "autodiff")]
pub(crate) fn input_gradient(grad: &[f32], weight: &[f32], g: &Geometry) -> Vec<f32> {
    if g.stride == [1, 1] {
        return forward(grad, &flip_transpose(weight, g), None, &g.input_gradient());
    }
    let (taps, positions, (tile, tiles)) = (g.taps(), g.positions(), g.tiling());
    let image = g.channels_in * g.input[0] * g.input[1];
    let cout = g.channels_out;
    let mut dx = vec![0.0f32; g.batch * image];
    if positions == 0 || taps == 0 || image == 0 {
        return dx;
    }
    let parallelism = inner_parallelism(g.batch);
    let columns = g.columns();
    dx.par_chunks_mut(image).enumerate().for_each(|(n, dx)| {
        with_columns(taps * tile, |col| {
            for first in (0..tiles).map(|t| t * tile) {
                let len = tile.min(positions - first);
                let rows = &grad[n * cout * positions + first..];
                // SAFETY: `col` holds `taps × len` values; `rows` reaches
                // `cout` rows of `len` values and `weight` `cout × taps`.
                unsafe {
                    // col^T [len × taps] = grad^T [len × cout] · weight [cout × taps]
                    product(
                        [len, taps, cout],
                        Strided::new(col.as_mut_ptr(), len, 1),
                        false,
                        Strided::new(rows.as_ptr(), positions, 1),
                        Strided::new(weight.as_ptr(), 1, taps),
                        parallelism,
                    );
                }
                col2im(col, g, &columns, first, len, dx);
            }
        })
    });
    dx
}

/// Adds the column matrix `col` (`taps × len`, laid out as [`im2col`]
/// fills it) onto the image pixels its values were read from: the adjoint
/// of [`im2col`], for zero padding.
#[cfg(feature = "autodiff")]
fn col2im(col: &[f32], g: &Geometry, columns: &[u32], first: usize, len: usize, image: &mut [f32]) {
    let [kh, kw] = g.kernel;
    let [h, w] = g.input;
    let width = g.output[1];
    for ci in 0..g.channels_in {
        let plane = &mut image[ci * h * w..(ci + 1) * h * w];
        for ky in 0..kh {
            for kx in 0..kw {
                let row = ((ci * kh + ky) * kw + kx) * len;
                let row = &col[row..row + len];
                let sources = &columns[kx * width..(kx + 1) * width];
                let mut j = 0;
                while j < len {
                    let (oy, ox) = ((first + j) / width, (first + j) % width);
                    let run = (width - ox).min(len - j);
                    if let Some(iy) = g.source(0, oy, ky) {
                        let line = &mut plane[iy * w..(iy + 1) * w];
                        for (&value, &x) in row[j..j + run].iter().zip(&sources[ox..ox + run]) {
                            if x != u32::MAX {
                                line[x as usize] += value;
                            }
                        }
                    }
                    j += run;
                }
            }
        }
    }
}

/// `[Cout, Cin, kh, kw]` → `[Cin, Cout, kh, kw]`, each kernel rotated by
/// half a turn.
#[cfg(feature = "autodiff")]
fn flip_transpose(weight: &[f32], g: &Geometry) -> Vec<f32> {
    let (cin, cout) = (g.channels_in, g.channels_out);
    let k = g.kernel[0] * g.kernel[1];
    let mut flipped = vec![0.0f32; weight.len()];
    for co in 0..cout {
        for ci in 0..cin {
            let from = &weight[(co * cin + ci) * k..][..k];
            let to = &mut flipped[(ci * cout + co) * k..][..k];
            to.iter_mut()
                .zip(from.iter().rev())
                .for_each(|(t, f)| *t = *f);
        }
    }
    flipped
}

/// The gradient of the bias: `grad` summed over images and positions.
#[cfg(feature = "autodiff")]
pub(crate) fn bias_gradient(grad: &[f32], g: &Geometry) -> Vec<f32> {
    let positions = g.positions();
    let mut sum = vec![0.0f32; g.channels_out];
    if positions == 0 {
        return sum;
    }
    for (i, plane) in grad.chunks_exact(positions).enumerate() {
        sum[i % g.channels_out] += plane.iter().sum::<f32>();
    }
    sum
}
