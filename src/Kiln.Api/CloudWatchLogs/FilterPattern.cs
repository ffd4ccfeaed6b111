namespace Kiln.Api.CloudWatchLogs;

/// <summary>
/// CloudWatch's plain term filter patterns: every term (or <c>"quoted phrase"</c>) must occur in the message,
/// case-sensitively; with <c>?term</c>s at least one of those must; a <c>-term</c> must not. JSON
/// (<c>{ $.x = … }</c>), space-delimited (<c>[a, b]</c>) and regular-expression (<c>%…%</c>) patterns are refused.
/// </summary>
internal sealed class FilterPattern
{
    private readonly List<string> _all = [];
    private readonly List<string> _any = [];
    private readonly List<string> _none = [];

    public static FilterPattern Parse(string? pattern)
    {
        var result = new FilterPattern();
        var text = (pattern ?? "").Trim();
        if (text.Length > 0 && text[0] is '{' or '[' or '%')
        {
            throw LogsException.Invalid(
                "Kiln supports plain term filter patterns only (terms, \"quoted phrases\", ?any-of terms, -excluded terms); JSON, space-delimited and regular-expression patterns are not supported.");
        }

        var i = 0;
        while (i < text.Length)
        {
            if (char.IsWhiteSpace(text[i]))
            {
                i++;
                continue;
            }

            var list = text[i] switch { '?' => result._any, '-' => result._none, _ => result._all };
            if (text[i] is '?' or '-')
            {
                i++;
            }

            string term;
            if (i < text.Length && text[i] == '"')
            {
                var close = text.IndexOf('"', i + 1);
                if (close < 0)
                {
                    throw LogsException.Invalid($"Invalid filter pattern: the quote at character {i + 1} is not closed.");
                }

                term = text[(i + 1)..close];
                i = close + 1;
            }
            else
            {
                var start = i;
                while (i < text.Length && !char.IsWhiteSpace(text[i]))
                {
                    i++;
                }

                term = text[start..i];
            }

            if (term.Length > 0)
            {
                list.Add(term);
            }
        }

        return result;
    }

    public bool Matches(string message) =>
        _all.TrueForAll(term => message.Contains(term, StringComparison.Ordinal))
        && (_any.Count == 0 || _any.Exists(term => message.Contains(term, StringComparison.Ordinal)))
        && !_none.Exists(term => message.Contains(term, StringComparison.Ordinal));
}
