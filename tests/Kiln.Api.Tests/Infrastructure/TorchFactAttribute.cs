using System.Diagnostics;

namespace Kiln.Api.Tests.Infrastructure;

/// <summary>A fact that needs Debian's PyTorch (python3-torch, with torch.distributed) at /usr/bin/python3; skipped where it is absent.</summary>
public sealed class TorchFactAttribute : FactAttribute
{
    private static readonly Lazy<string?> Reason = new(Probe);

    public TorchFactAttribute() => Skip = SkipReason;

    public static string? SkipReason => Reason.Value;

    private static string? Probe()
    {
        try
        {
            using var python = Process.Start(new ProcessStartInfo("/usr/bin/python3", ["-c", "import torch.distributed"]) { RedirectStandardError = true, RedirectStandardOutput = true });
            if (python is null || !python.WaitForExit(60_000))
            {
                return "/usr/bin/python3 did not answer whether torch is installed";
            }

            return python.ExitCode == 0 ? null : "Debian's python3-torch is not installed (.ci/run installs it)";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "/usr/bin/python3 is not installed";
        }
    }
}
