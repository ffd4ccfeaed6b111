namespace Kiln.Clarify.Explainability;

internal static class LinearSolver
{
    /// <summary>
    /// Solves A x = b (A symmetric positive semi-definite, from weighted least squares) by Gaussian elimination with
    /// partial pivoting. A vanishing pivot (too few coalitions to tell features apart) gets a tiny ridge so the
    /// answer stays finite.
    /// </summary>
    public static double[] Solve(double[,] a, double[] b)
    {
        var n = b.Length;
        var m = (double[,])a.Clone();
        var x = (double[])b.Clone();
        var scale = 0.0;
        for (var i = 0; i < n; i++)
        {
            scale = Math.Max(scale, Math.Abs(m[i, i]));
        }
        var tiny = Math.Max(scale, 1e-300) * 1e-12;
        for (var col = 0; col < n; col++)
        {
            var pivot = col;
            for (var r = col + 1; r < n; r++)
            {
                if (Math.Abs(m[r, col]) > Math.Abs(m[pivot, col]))
                {
                    pivot = r;
                }
            }
            if (pivot != col)
            {
                for (var c = 0; c < n; c++)
                {
                    (m[col, c], m[pivot, c]) = (m[pivot, c], m[col, c]);
                }
                (x[col], x[pivot]) = (x[pivot], x[col]);
            }
            if (Math.Abs(m[col, col]) < tiny)
            {
                m[col, col] += tiny;
            }
            for (var r = col + 1; r < n; r++)
            {
                var f = m[r, col] / m[col, col];
                if (f == 0)
                {
                    continue;
                }
                for (var c = col; c < n; c++)
                {
                    m[r, c] -= f * m[col, c];
                }
                x[r] -= f * x[col];
            }
        }
        for (var r = n - 1; r >= 0; r--)
        {
            var sum = x[r];
            for (var c = r + 1; c < n; c++)
            {
                sum -= m[r, c] * x[c];
            }
            x[r] = sum / m[r, r];
        }
        return x;
    }
}
