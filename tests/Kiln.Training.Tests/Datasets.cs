namespace Kiln.Training.Tests;

/// <summary>The real datasets: ../shared/datasets next to the checkout when present, else the copies under samples/data.</summary>
public static class Datasets
{
    public static string Path(string file)
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(System.IO.Path.Combine(directory.FullName, "Kiln.slnx")))
        {
            directory = directory.Parent;
        }

        var root = directory?.FullName ?? throw new InvalidOperationException("Kiln.slnx not found");
        foreach (var candidate in new[] { System.IO.Path.Combine(root, "samples", "data", file), System.IO.Path.Combine(root, "..", "shared", "datasets", file) })
        {
            if (File.Exists(candidate))
            {
                return System.IO.Path.GetFullPath(candidate);
            }
        }

        throw new FileNotFoundException($"Dataset {file} is neither in samples/data nor in ../shared/datasets");
    }
}
