using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using static Fruits.Pipeline.Statistics.VectorMath;

namespace Fruits.Pipeline.Statistics;

/// <summary>
/// Eigenvalues of a real symmetric matrix, and eigenvectors for only the largest of them: the shape of
/// LAPACK's dsyevx (Householder tridiagonalization, implicit QL for the values, inverse iteration with
/// re-orthogonalization inside clusters, back-transformation). A PCA needs every eigenvalue for the
/// explained-variance ratios but only k vectors; computing every vector (as a full decomposition does)
/// spends most of the fit accumulating rotations nobody reads (docs/BENCHMARKS.md has the measured fit times).
/// </summary>
public sealed class SymmetricEigensolver
{
    private const int MaxQlIterations = 60;
    private const int MaxInverseIterations = 5;
    private const int ExtraIterations = 2;

    // Blocks smaller than this reduce faster on one thread than the fork and join costs.
    private const int ParallelFrom = 192;
    private const int RowChunks = 4;

    private readonly int _n;
    private readonly double[] _reflectors; // row i holds Householder vector u_i in columns 0..i-1
    private readonly double[] _h;
    private readonly double[] _diagonal;
    private readonly double[] _offDiagonal; // T[i + 1, i]
    private readonly double[] _eigenvalues; // descending

    /// <summary>Reduces <paramref name="matrix"/> (n x n, row-major, symmetric; only the lower triangle is read) and finds all eigenvalues.</summary>
    /// <remarks>The array is used as workspace and overwritten.</remarks>
    public SymmetricEigensolver(double[] matrix, int n)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n);
        if (matrix.Length < (long)n * n)
        {
            throw new ArgumentException($"A {n} x {n} matrix needs {(long)n * n} entries, got {matrix.Length}.", nameof(matrix));
        }

        _n = n;
        _reflectors = matrix;
        _h = new double[n];
        _diagonal = new double[n];
        _offDiagonal = new double[Math.Max(0, n - 1)];
        Tridiagonalize();
        _eigenvalues = QlEigenvalues();
    }

    /// <summary>All n eigenvalues, largest first.</summary>
    public ReadOnlySpan<double> Eigenvalues => _eigenvalues;

    /// <summary>Unit eigenvectors of the <paramref name="count"/> largest eigenvalues, one per row (count x n), orthonormal.</summary>
    public double[] LargestEigenvectors(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, _n);
        var vectors = new double[(long)count * _n];
        InverseIteration(count, vectors);
        BackTransform(count, vectors);
        return vectors;
    }

    /// <summary>
    /// Householder reduction from the last row up (as EISPACK tred2, without accumulating the transform).
    /// Step i reflects row i's leading i entries onto one, then applies P A P to the leading i x i block
    /// with one symmetric matrix-vector product and one rank-2 update, both over the lower triangle only.
    /// The block is larger than the caches, so the passes over it, not the arithmetic, set the pace: step
    /// i's update of row i - 1 runs first, which is all step i - 1 needs to form its reflector, and then a
    /// single pass over rows 0..i-2 finishes step i's update of each row and at once adds that row's share
    /// of step i - 1's product. Every entry sees the same operations in the same order as with separate
    /// passes, so the result is the same to the bit.
    /// On large blocks the passes run over <see cref="RowChunks"/> chunks of rows in parallel: the reduction
    /// is the bulk of a fit, and it runs when the job's featurizers are done and every core is free.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Tridiagonalize()
    {
        var n = _n;
        var a = _reflectors;

        // Step i's q is read by the pass that accumulates step i - 1's product, so the two take turns.
        var p = new double[n];
        var next = new double[n];
        var partials = new double[RowChunks][];
        for (var c = 0; c < RowChunks; c++)
        {
            partials[c] = new double[n];
        }

        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Math.Min(RowChunks, Environment.ProcessorCount) };
        var hh = n > 1 ? Reflect(n - 1) : 0;
        var productDone = false;
        for (var i = n - 1; i > 0; i--)
        {
            if (hh == 0)
            {
                // Nothing to annihilate: P is the identity and the block stays as it is.
                hh = i > 1 ? Reflect(i - 1) : 0;
                productDone = false;
                continue;
            }

            var u = a.AsSpan(i * n, i);
            var pi = p.AsSpan(0, i);
            var step = i;
            if (!productDone)
            {
                Product(i, p, partials, parallel, (first, end, sums) => SymmetricProduct(a, n, step, first, end, sums));
            }

            var uDotP = 0.0;
            for (var j = 0; j < i; j++)
            {
                pi[j] /= hh;
                uDotP += u[j] * pi[j];
            }

            // q = p - K u with K = u.p / 2h; A -= u q^T + q u^T. Rows are independent here.
            var kk = uDotP / (2 * hh);
            for (var j = 0; j < i; j++)
            {
                pi[j] -= kk * u[j];
            }

            RankTwoUpdate(a, n, i, p, i - 1, i);
            hh = i > 1 ? Reflect(i - 1) : 0;
            productDone = hh != 0;
            var q = p;
            if (productDone)
            {
                Product(i - 1, next, partials, parallel, (first, end, sums) => UpdateAndProduct(a, n, step, q, first, end, sums));
            }
            else if (i - 1 >= ParallelFrom)
            {
                Parallel.For(0, RowChunks, parallel, c =>
                {
                    var (first, end) = ChunkRows(step - 1, c);
                    RankTwoUpdate(a, n, step, q, first, end);
                });
            }
            else
            {
                RankTwoUpdate(a, n, i, p, 0, i - 1);
            }

            (p, next) = (next, p);
        }

        _diagonal[0] = a[0];
    }

    /// <summary>
    /// Scales row i's leading i entries and turns them into the Householder vector u with h = |u|^2 / 2,
    /// recording T's diagonal and off-diagonal entries; returns h, or 0 where the step has nothing to do.
    /// </summary>
    private double Reflect(int i)
    {
        var n = _n;
        var row = _reflectors.AsSpan(i * n, i);
        _diagonal[i] = _reflectors[(i * n) + i];
        var scale = 0.0;
        foreach (var x in row)
        {
            scale += Math.Abs(x);
        }

        if (i == 1 || scale == 0)
        {
            _offDiagonal[i - 1] = row[i - 1];
            _h[i] = 0;
            return 0;
        }

        var hh = 0.0;
        for (var k = 0; k < i; k++)
        {
            row[k] /= scale;
            hh += row[k] * row[k];
        }

        var f = row[i - 1];
        var g = f >= 0 ? -Math.Sqrt(hh) : Math.Sqrt(hh);
        _offDiagonal[i - 1] = scale * g;
        hh -= f * g;
        row[i - 1] = f - g;
        _h[i] = hh;
        return hh;
    }

    /// <summary>
    /// p = A u over the leading i x i block, with <paramref name="rows"/> adding rows [first, end)'s share.
    /// Chunks sum into their own vectors, added up in chunk order, so the result does not depend on how many
    /// cores ran them.
    /// </summary>
    private static void Product(int i, double[] p, double[][] partials, ParallelOptions parallel, RowKernel rows)
    {
        var pi = p.AsSpan(0, i);
        pi.Clear();
        if (i >= ParallelFrom)
        {
            Parallel.For(0, RowChunks, parallel, c =>
            {
                var (first, end) = ChunkRows(i, c);
                var partial = partials[c].AsSpan(0, end);
                partial.Clear();
                rows(first, end, partial);
            });
            for (var c = 0; c < RowChunks; c++)
            {
                var (_, end) = ChunkRows(i, c);
                Axpy(1, partials[c].AsSpan(0, end), pi[..end]);
            }
        }
        else
        {
            rows(0, i, pi);
        }
    }

    /// <summary>Rows [first, end) of an i-row lower triangle, cut so every chunk holds about the same number of entries.</summary>
    private static (int First, int End) ChunkRows(int i, int chunk) =>
        ((int)(i * Math.Sqrt((double)chunk / RowChunks)), chunk == RowChunks - 1 ? i : (int)(i * Math.Sqrt((double)(chunk + 1) / RowChunks)));

    /// <summary>
    /// Adds rows [first, end) of the leading i x i block's lower triangle, times u = row i, into <paramref name="p"/> (A u).
    /// Each row is read once for both its dot product with u (the entries left of the diagonal) and its share
    /// of the columns above (p[..j] += u[j] row): the block is larger than the caches, so the second pass over
    /// a row cost as much as the arithmetic. Both halves round exactly as <see cref="VectorMath.Dot"/> and
    /// <see cref="VectorMath.Axpy"/> do (one vector accumulator summed once, then the scalar tail; a multiply
    /// and a separate add), so the product matches theirs bit for bit.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SymmetricProduct(double[] a, int n, int i, int first, int end, Span<double> p)
    {
        ref var u = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(a), (nint)i * n);
        ref var sums = ref MemoryMarshal.GetReference(p);
        var width = Vector<double>.Count;
        for (var j = first; j < end; j++)
        {
            ref var lower = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(a), (nint)j * n);
            var uj = Unsafe.Add(ref u, j);
            var alpha = new Vector<double>(uj);
            var dot = Vector<double>.Zero;
            var k = 0;
            for (; k <= j - width; k += width)
            {
                var row = Vector.LoadUnsafe(ref lower, (nuint)k);
                dot += row * Vector.LoadUnsafe(ref u, (nuint)k);
                (Vector.LoadUnsafe(ref sums, (nuint)k) + (alpha * row)).StoreUnsafe(ref sums, (nuint)k);
            }

            var total = Vector.Sum(dot);
            for (; k < j; k++)
            {
                var entry = Unsafe.Add(ref lower, k);
                total += entry * Unsafe.Add(ref u, k);
                Unsafe.Add(ref sums, k) += uj * entry;
            }

            p[j] += total + (Unsafe.Add(ref lower, j) * uj);
        }
    }

    /// <summary>
    /// A -= u q^T + q u^T on rows [first, end) of the leading i x i block's lower triangle (u = row i), one
    /// read-modify-write pass per row: each entry takes the q term and then the u term, each a multiply and a
    /// separate add, which is what the two <see cref="VectorMath.Axpy"/> passes it replaces computed.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RankTwoUpdate(double[] a, int n, int i, double[] q, int first, int end)
    {
        ref var u = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(a), (nint)i * n);
        ref var qs = ref MemoryMarshal.GetArrayDataReference(q);
        var width = Vector<double>.Count;
        for (var j = first; j < end; j++)
        {
            ref var lower = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(a), (nint)j * n);
            var minusU = -Unsafe.Add(ref u, j);
            var minusQ = -Unsafe.Add(ref qs, j);
            var alpha = new Vector<double>(minusU);
            var beta = new Vector<double>(minusQ);
            var length = j + 1;
            var k = 0;
            for (; k <= length - width; k += width)
            {
                var entry = Vector.LoadUnsafe(ref lower, (nuint)k) + (alpha * Vector.LoadUnsafe(ref qs, (nuint)k));
                (entry + (beta * Vector.LoadUnsafe(ref u, (nuint)k))).StoreUnsafe(ref lower, (nuint)k);
            }

            for (; k < length; k++)
            {
                var entry = Unsafe.Add(ref lower, k) + (minusU * Unsafe.Add(ref qs, k));
                Unsafe.Add(ref lower, k) = entry + (minusQ * Unsafe.Add(ref u, k));
            }
        }
    }

    /// <summary>
    /// Step i's rank-2 update (u = row i) of rows [first, end) of the leading (i - 1) x (i - 1) block, and
    /// those updated rows' share of step i - 1's product A v (v = row i - 1) added into <paramref name="p"/>,
    /// in one pass: the entries, the dot products and the sums round exactly as
    /// <see cref="RankTwoUpdate"/> followed by <see cref="SymmetricProduct"/> would.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void UpdateAndProduct(double[] a, int n, int i, double[] q, int first, int end, Span<double> p)
    {
        ref var u = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(a), (nint)i * n);
        ref var v = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(a), (nint)(i - 1) * n);
        ref var qs = ref MemoryMarshal.GetArrayDataReference(q);
        ref var sums = ref MemoryMarshal.GetReference(p);
        var width = Vector<double>.Count;
        for (var j = first; j < end; j++)
        {
            ref var lower = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(a), (nint)j * n);
            var minusU = -Unsafe.Add(ref u, j);
            var minusQ = -Unsafe.Add(ref qs, j);
            var vj = Unsafe.Add(ref v, j);
            var alpha = new Vector<double>(minusU);
            var beta = new Vector<double>(minusQ);
            var gamma = new Vector<double>(vj);
            var dot = Vector<double>.Zero;
            var k = 0;
            for (; k <= j - width; k += width)
            {
                var entry = Vector.LoadUnsafe(ref lower, (nuint)k) + (alpha * Vector.LoadUnsafe(ref qs, (nuint)k));
                entry += beta * Vector.LoadUnsafe(ref u, (nuint)k);
                entry.StoreUnsafe(ref lower, (nuint)k);
                dot += entry * Vector.LoadUnsafe(ref v, (nuint)k);
                (Vector.LoadUnsafe(ref sums, (nuint)k) + (gamma * entry)).StoreUnsafe(ref sums, (nuint)k);
            }

            var total = Vector.Sum(dot);
            for (; k < j; k++)
            {
                var entry = Unsafe.Add(ref lower, k) + (minusU * Unsafe.Add(ref qs, k));
                entry += minusQ * Unsafe.Add(ref u, k);
                Unsafe.Add(ref lower, k) = entry;
                total += entry * Unsafe.Add(ref v, k);
                Unsafe.Add(ref sums, k) += vj * entry;
            }

            var diagonal = Unsafe.Add(ref lower, j) + (minusU * Unsafe.Add(ref qs, j));
            diagonal += minusQ * Unsafe.Add(ref u, j);
            Unsafe.Add(ref lower, j) = diagonal;
            p[j] += total + (diagonal * vj);
        }
    }

    /// <summary>Implicit QL with Wilkinson shifts on a copy of the tridiagonal (JAMA's tql2 minus the vectors).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private double[] QlEigenvalues()
    {
        var n = _n;
        var d = (double[])_diagonal.Clone();
        var e = new double[n];
        _offDiagonal.CopyTo(e, 0);

        var f = 0.0;
        var tst1 = 0.0;
        var eps = Math.Pow(2, -52);
        for (var l = 0; l < n; l++)
        {
            tst1 = Math.Max(tst1, Math.Abs(d[l]) + Math.Abs(e[l]));
            var m = l;
            while (m < n - 1 && Math.Abs(e[m]) > eps * tst1)
            {
                m++;
            }

            if (m > l)
            {
                var iterations = 0;
                do
                {
                    if (++iterations > MaxQlIterations)
                    {
                        throw new InvalidOperationException("Eigenvalues did not converge (QL iteration limit).");
                    }

                    var g = d[l];
                    var p = (d[l + 1] - g) / (2 * e[l]);
                    var r = Hypot(p, 1);
                    if (p < 0)
                    {
                        r = -r;
                    }

                    d[l] = e[l] / (p + r);
                    d[l + 1] = e[l] * (p + r);
                    var dl1 = d[l + 1];
                    var h = g - d[l];
                    for (var i = l + 2; i < n; i++)
                    {
                        d[i] -= h;
                    }

                    f += h;

                    p = d[m];
                    var c = 1.0;
                    var c2 = c;
                    var c3 = c;
                    var el1 = e[l + 1];
                    var s = 0.0;
                    var s2 = 0.0;
                    for (var i = m - 1; i >= l; i--)
                    {
                        c3 = c2;
                        c2 = c;
                        s2 = s;
                        g = c * e[i];
                        h = c * p;
                        r = Hypot(p, e[i]);
                        e[i + 1] = s * r;
                        s = e[i] / r;
                        c = p / r;
                        p = (c * d[i]) - (s * g);
                        d[i + 1] = h + (s * ((c * g) + (s * d[i])));
                    }

                    p = -s * s2 * c3 * el1 * e[l] / dl1;
                    e[l] = s * p;
                    d[l] = c * p;
                }
                while (Math.Abs(e[l]) > eps * tst1);
            }

            d[l] += f;
            e[l] = 0;
        }

        Array.Sort(d);
        Array.Reverse(d);
        return d;
    }

    /// <summary>
    /// Eigenvectors of the tridiagonal T for the largest eigenvalues (LAPACK dstein): for each, a few solves
    /// of (T - lambda I) x = b from a fixed pseudo-random start; vectors whose eigenvalues lie within
    /// 1e-3 |T| of each other are re-orthogonalized against each other at every step, and coincident
    /// eigenvalues are pulled apart by a few ulps so each solve finds a different direction.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void InverseIteration(int count, double[] vectors)
    {
        var n = _n;
        var d = _diagonal;
        var b = _offDiagonal;
        if (n == 1)
        {
            if (count == 1)
            {
                vectors[0] = 1;
            }

            return;
        }

        var oneNorm = 0.0;
        for (var i = 0; i < n; i++)
        {
            var sum = Math.Abs(d[i]) + (i > 0 ? Math.Abs(b[i - 1]) : 0) + (i < n - 1 ? Math.Abs(b[i]) : 0);
            oneNorm = Math.Max(oneNorm, sum);
        }

        var eps = Math.Pow(2, -52);
        var orthogonalityTolerance = 1e-3 * oneNorm;
        var convergedGrowth = Math.Sqrt(0.1 / n);
        var factor = new TridiagonalFactor(n);
        var x = new double[n];
        var random = new Random(1280);
        var clusterStart = 0;
        var previous = double.NaN;

        for (var j = 0; j < count; j++)
        {
            var shift = _eigenvalues[j];
            if (j > 0 && previous - shift <= orthogonalityTolerance)
            {
                var separation = 10 * eps * Math.Abs(shift);
                if (previous - shift < separation)
                {
                    shift = previous - separation;
                }
            }
            else
            {
                clusterStart = j;
            }

            previous = shift;
            factor.Factor(d, b, shift, eps * oneNorm);
            for (var i = 0; i < n; i++)
            {
                x[i] = (2 * random.NextDouble()) - 1;
            }

            var converged = 0;
            for (var iteration = 0; iteration < MaxInverseIterations && converged <= ExtraIterations; iteration++)
            {
                var l1 = 0.0;
                foreach (var v in x)
                {
                    l1 += Math.Abs(v);
                }

                Scale(n * oneNorm * Math.Max(eps, Math.Abs(factor.LastPivot)) / l1, x);
                factor.Solve(x);
                for (var c = clusterStart; c < j; c++)
                {
                    var other = vectors.AsSpan(c * n, n);
                    Axpy(-Dot(x, other), other, x);
                }

                var largest = 0.0;
                foreach (var v in x)
                {
                    largest = Math.Max(largest, Math.Abs(v));
                }

                if (largest >= convergedGrowth)
                {
                    converged++;
                }
            }

            Scale(1 / Math.Sqrt(Dot(x, x)), x);
            x.CopyTo(vectors, j * n);
        }
    }

    /// <summary>v = P_{n-1} ... P_1 z for every vector, applying each reflector to all vectors while it is in cache.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void BackTransform(int count, double[] vectors)
    {
        var n = _n;
        for (var i = 2; i < n; i++)
        {
            if (_h[i] == 0)
            {
                continue;
            }

            var u = _reflectors.AsSpan(i * n, i);
            var inverseH = 1 / _h[i];
            for (var c = 0; c < count; c++)
            {
                var v = vectors.AsSpan(c * n, i);
                Axpy(-Dot(u, v) * inverseH, u, v);
            }
        }
    }

    private static double Hypot(double a, double b)
    {
        a = Math.Abs(a);
        b = Math.Abs(b);
        if (a < b)
        {
            (a, b) = (b, a);
        }

        if (a == 0)
        {
            return 0;
        }

        var ratio = b / a;
        return a * Math.Sqrt(1 + (ratio * ratio));
    }

    private static void Scale(double alpha, Span<double> x)
    {
        for (var i = 0; i < x.Length; i++)
        {
            x[i] *= alpha;
        }
    }

    /// <summary>
    /// LU with partial pivoting of T - shift I (LAPACK dlagtf): U has two superdiagonals, and pivots smaller
    /// than the tolerance are raised to it (dlagts), which is what lets a solve at an exact eigenvalue grow.
    /// </summary>
    private sealed class TridiagonalFactor(int n)
    {
        private readonly double[] _u0 = new double[n];
        private readonly double[] _u1 = new double[n];
        private readonly double[] _u2 = new double[n];
        private readonly double[] _multiplier = new double[n];
        private readonly bool[] _swapped = new bool[n];
        private double _tolerance;

        public double LastPivot => _u0[n - 1];

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Factor(ReadOnlySpan<double> diagonal, ReadOnlySpan<double> offDiagonal, double shift, double tolerance)
        {
            _tolerance = tolerance;
            for (var i = 0; i < n; i++)
            {
                _u0[i] = diagonal[i] - shift;
                _u1[i] = i < n - 1 ? offDiagonal[i] : 0;
                _u2[i] = 0;
            }

            for (var i = 0; i < n - 1; i++)
            {
                var below = offDiagonal[i];
                if (Math.Abs(_u0[i]) >= Math.Abs(below))
                {
                    var pivot = _u0[i] == 0 ? tolerance : _u0[i];
                    var l = below / pivot;
                    _multiplier[i] = l;
                    _swapped[i] = false;
                    _u0[i + 1] -= l * _u1[i];
                }
                else
                {
                    var l = _u0[i] / below;
                    var oldSuper = _u1[i];
                    var nextDiagonal = _u0[i + 1];
                    var nextSuper = i + 1 < n - 1 ? offDiagonal[i + 1] : 0;
                    _u0[i] = below;
                    _u1[i] = nextDiagonal;
                    _u2[i] = nextSuper;
                    _u0[i + 1] = oldSuper - (l * nextDiagonal);
                    if (i + 1 < n - 1)
                    {
                        _u1[i + 1] = -l * nextSuper;
                    }

                    _multiplier[i] = l;
                    _swapped[i] = true;
                }
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Solve(Span<double> y)
        {
            for (var i = 0; i < n - 1; i++)
            {
                if (_swapped[i])
                {
                    (y[i], y[i + 1]) = (y[i + 1], y[i]);
                }

                y[i + 1] -= _multiplier[i] * y[i];
            }

            for (var i = n - 1; i >= 0; i--)
            {
                var sum = y[i];
                if (i + 1 < n)
                {
                    sum -= _u1[i] * y[i + 1];
                }

                if (i + 2 < n)
                {
                    sum -= _u2[i] * y[i + 2];
                }

                y[i] = sum / Pivot(_u0[i]);
            }
        }

        private double Pivot(double value) =>
            Math.Abs(value) >= _tolerance ? value : (value >= 0 ? _tolerance : -_tolerance);
    }

    /// <summary>Adds rows [first, end)'s share of a product into <paramref name="sums"/>, doing to those rows whatever else the pass does.</summary>
    private delegate void RowKernel(int first, int end, Span<double> sums);
}
