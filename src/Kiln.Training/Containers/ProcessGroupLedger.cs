using System.Diagnostics;
using System.Globalization;

namespace Kiln.Training.Containers;

/// <summary>
/// The job process groups this node has running, one file per group in a folder of the node's data directory. A
/// node killed outright (SIGKILL, a crash) leaves its jobs' scripts running as orphans while the cluster retries
/// the jobs elsewhere; when the node starts again it reads the folder and kills every group its previous life left.
/// A group is only killed if its leader is still the process that was recorded (same start time), never a
/// process that reused the id.
/// </summary>
public static class ProcessGroupLedger
{
    private static string? _directory;

    /// <summary>Kills the groups left in <paramref name="directory"/> by an earlier run, then records new ones there. Returns how many it killed.</summary>
    public static int Open(string directory)
    {
        Directory.CreateDirectory(directory);
        var killed = 0;
        foreach (var file in Directory.EnumerateFiles(directory))
        {
            if (int.TryParse(Path.GetFileName(file), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                && StartTime(pid) is { } started
                && started == File.ReadAllText(file).Trim())
            {
                Signal(pid);
                killed++;
            }

            File.Delete(file);
        }

        _directory = directory;
        return killed;
    }

    /// <summary>Records a started group (its leader's id); disposing the result forgets it once the group has ended.</summary>
    public static IDisposable Record(int pid)
    {
        if (_directory is not { } directory || StartTime(pid) is not { } started)
        {
            return new Entry(null);
        }

        var file = Path.Combine(directory, pid.ToString(CultureInfo.InvariantCulture));
        try
        {
            File.WriteAllText(file, started);
            return new Entry(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Keeping the record is best effort: without it only the clean-up after a crash is lost, never the job.
            return new Entry(null);
        }
    }

    /// <summary>The process's start time in clock ticks since boot (field 22 of /proc/PID/stat), or null when it is gone.</summary>
    private static string? StartTime(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // The command name (field 2) is in parentheses and may hold spaces: count fields after its closing one.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return fields[19];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or IndexOutOfRangeException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    private static void Signal(int pid)
    {
        try
        {
            using var kill = Process.Start(new ProcessStartInfo("kill", ["-KILL", "--", "-" + pid.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false, RedirectStandardError = true });
            kill?.WaitForExit();
        }
        catch (System.ComponentModel.Win32Exception)
        {
        }
    }

    private sealed class Entry(string? file) : IDisposable
    {
        public void Dispose()
        {
            try
            {
                if (file is not null)
                {
                    File.Delete(file);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _ = e;
            }
        }
    }
}
