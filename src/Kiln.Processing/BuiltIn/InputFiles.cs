namespace Kiln.Processing.BuiltIn;

/// <summary>The files a processing input downloaded under a folder, in a stable order, without hidden files.</summary>
internal static class InputFiles
{
    public static List<string> Under(string folder) =>
        Directory.Exists(folder)
            ? Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Where(file => !Path.GetFileName(file).StartsWith('.')).Order(StringComparer.Ordinal).ToList()
            : [];
}
