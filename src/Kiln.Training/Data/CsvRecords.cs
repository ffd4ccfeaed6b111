using System.Text;

namespace Kiln.Training.Data;

/// <summary>RFC 4180 records from a text reader: quoted fields may hold commas, doubled quotes and line breaks.</summary>
internal static class CsvRecords
{
    /// <summary>Yields each record's fields and the 1-based line it starts on; blank lines are skipped.</summary>
    public static IEnumerable<(List<string?> Fields, long Line)> Read(TextReader reader, char separator = ',')
    {
        var fields = new List<string?>();
        var field = new StringBuilder();
        var line = 1L;
        var recordLine = 1L;
        var inQuotes = false;
        var quoted = false;
        var any = false;
        int c;
        while ((c = reader.Read()) >= 0)
        {
            var ch = (char)c;
            if (inQuotes)
            {
                if (ch == '"')
                {
                    if (reader.Peek() == '"')
                    {
                        field.Append('"');
                        reader.Read();
                    }
                    else
                    {
                        inQuotes = false;
                    }
                }
                else
                {
                    if (ch == '\n')
                    {
                        line++;
                    }

                    field.Append(ch);
                }

                continue;
            }

            if (ch == '"' && field.Length == 0 && !quoted)
            {
                inQuotes = true;
                quoted = true;
                any = true;
            }
            else if (ch == separator)
            {
                fields.Add(quoted ? field.ToString() : Unquoted(field));
                field.Clear();
                quoted = false;
                any = true;
            }
            else if (ch == '\n' || ch == '\r')
            {
                if (ch == '\r' && reader.Peek() == '\n')
                {
                    reader.Read();
                }

                if (any || field.Length > 0)
                {
                    fields.Add(quoted ? field.ToString() : Unquoted(field));
                    yield return (fields, recordLine);
                    fields = [];
                }

                field.Clear();
                quoted = false;
                any = false;
                line++;
                recordLine = line;
            }
            else
            {
                field.Append(ch);
                any = true;
            }
        }

        if (any || field.Length > 0)
        {
            fields.Add(quoted ? field.ToString() : Unquoted(field));
            yield return (fields, recordLine);
        }
    }

    private static string? Unquoted(StringBuilder field)
    {
        var text = field.ToString().Trim();
        return text.Length == 0 ? null : text;
    }
}
