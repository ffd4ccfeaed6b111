namespace Kiln.Clarify.Bias;

internal static class MetricMath
{
    /// <summary>Clarify's division: 0/0 is 0 and x/0 is ±infinity.</summary>
    public static double Divide(double a, double b)
    {
        if (b == 0 && a == 0)
        {
            return 0;
        }
        if (b == 0)
        {
            return a < 0 ? double.NegativeInfinity : double.PositiveInfinity;
        }
        return a / b;
    }

    public static int Count(bool[] a, bool wantA)
    {
        var n = 0;
        for (var i = 0; i < a.Length; i++)
        {
            n += a[i] == wantA ? 1 : 0;
        }
        return n;
    }

    public static int Count(bool[] a, bool wantA, bool[] b, bool wantB)
    {
        var n = 0;
        for (var i = 0; i < a.Length; i++)
        {
            n += a[i] == wantA && b[i] == wantB ? 1 : 0;
        }
        return n;
    }

    public static int Count(bool[] a, bool wantA, bool[] b, bool wantB, bool[] c, bool wantC)
    {
        var n = 0;
        for (var i = 0; i < a.Length; i++)
        {
            n += a[i] == wantA && b[i] == wantB && c[i] == wantC ? 1 : 0;
        }
        return n;
    }

    /// <summary>a − b, except that two infinite rates count as no difference.</summary>
    public static double Difference(double a, double b) =>
        a == b && double.IsPositiveInfinity(a) ? 0 : a - b;
}
