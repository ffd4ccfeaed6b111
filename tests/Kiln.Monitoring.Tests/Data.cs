using System.Globalization;
using System.Text;

namespace Kiln.Monitoring.Tests;

/// <summary>Test inputs: text as streams, seeded samples, CSV from columns.</summary>
internal static class Data
{
    public static MemoryStream Text(string text) => new(Encoding.UTF8.GetBytes(text));

    public static double Normal(Random random, double mean = 0, double sd = 1)
    {
        var u1 = 1 - random.NextDouble();
        var u2 = random.NextDouble();
        return mean + (sd * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
    }

    /// <summary>
    /// A dataset of the test distribution: x1 ~ N(0, 1) (+ shift), x2 ~ N(5, 2), amount ~ lognormal, count ~ 0..9,
    /// color one of red/green/blue with shares 0.5/0.3/0.2 (or the given shares).
    /// </summary>
    public static string Csv(int rows, int seed, double shiftX1 = 0, double[]? colorShares = null)
    {
        var random = new Random(seed);
        var shares = colorShares ?? [0.5, 0.3, 0.2];
        var text = new StringBuilder("x1,x2,amount,count,color\n");
        for (var i = 0; i < rows; i++)
        {
            var u = random.NextDouble();
            var color = u < shares[0] ? "red" : u < shares[0] + shares[1] ? "green" : "blue";
            text.Append(CultureInfo.InvariantCulture, $"{Normal(random) + shiftX1:F4},{Normal(random, 5, 2):F4},{Math.Exp(Normal(random, 0, 0.5)):F4},{random.Next(10)},{color}\n");
        }

        return text.ToString();
    }
}
