using System.Globalization;
using CsCheck;

namespace Kiln.Fuzz.Tests.Infrastructure;

/// <summary>
/// The fuzzing budget and the property every parser must keep: for any input it returns, or throws one of the
/// refusals it is allowed to throw, within <see cref="CallTimeout"/> and without allocating out of proportion to
/// the input. CsCheck prints the seed of a failing sample; rerun it with <c>CsCheck_Seed=...</c>.
/// </summary>
public static class Fuzzing
{
    /// <summary>Set KILN_FUZZ_ITERATIONS for a longer run; each property's CI default is sized so the project runs in about a minute.</summary>
    public const string IterationsVariable = "KILN_FUZZ_ITERATIONS";

    /// <summary>Generous on a loaded 2-core machine; a parser that hangs never comes back at all.</summary>
    public static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Bytes a parser may allocate: a fixed allowance plus a multiple of the input's size (linear, not worse).</summary>
    public const long AllocationBase = 4 * 1024 * 1024;

    public const long AllocationPerInputChar = 512;

    /// <summary>The number of samples for a property: the variable's value when set, else <paramref name="ciDefault"/>.</summary>
    public static long Iterations(long ciDefault, double share = 1)
    {
        var text = Environment.GetEnvironmentVariable(IterationsVariable);
        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
            ? Math.Max(1, (long)(n * share))
            : ciDefault;
    }

    /// <summary>
    /// Runs <paramref name="call"/> on every sample; it must return or throw an exception <paramref name="allowed"/>
    /// accepts, in time, within the allocation bound for <paramref name="size"/> of the input.
    /// </summary>
    public static void Property<T>(Gen<T> gen, long ciIterations, Func<T, int> size, Action<T> call, Func<Exception, bool> allowed, Func<T, string>? print = null) =>
        gen.Sample(input => Once(input, size(input), call, allowed), iter: Iterations(ciIterations), print: print ?? Show);

    /// <summary>One call under the property's rules; also the body of the regression facts.</summary>
    public static void Once<T>(T input, int size, Action<T> call, Func<Exception, bool> allowed)
    {
        var task = Task.Factory.StartNew(
            () =>
            {
                var before = GC.GetAllocatedBytesForCurrentThread();
                Exception? thrown = null;
                try
                {
                    call(input);
                }
                catch (Exception e)
                {
                    thrown = e;
                }

                return (Allocated: GC.GetAllocatedBytesForCurrentThread() - before, Thrown: thrown);
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);
        if (!task.Wait(CallTimeout))
        {
            throw new TimeoutException($"The call did not return within {CallTimeout.TotalSeconds} s.");
        }

        var (allocated, thrown) = task.Result;
        if (thrown is not null && !allowed(thrown))
        {
            throw new InvalidOperationException($"Unexpected {thrown.GetType().Name}: {thrown.Message}", thrown);
        }

        var bound = AllocationBase + (AllocationPerInputChar * size);
        if (allocated > bound)
        {
            throw new InvalidOperationException($"The call allocated {allocated:N0} bytes for an input of {size:N0}; the bound is {bound:N0}.");
        }
    }

    private static string Show<T>(T input)
    {
        var text = input switch
        {
            string s => "\"" + s + "\"",
            byte[] bytes => Convert.ToBase64String(bytes),
            _ => input?.ToString() ?? "null",
        };
        return text.Length > 2000 ? text[..2000] + $"… ({text.Length:N0} chars)" : text;
    }
}
