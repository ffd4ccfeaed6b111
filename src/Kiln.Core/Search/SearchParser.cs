using System.Globalization;
using Kiln.Core.Common;

namespace Kiln.Core.Search;

/// <summary>
/// Parses MLflow's search filter grammar — <c>clause (AND clause)*</c> where a clause is
/// <c>[entity.]key comparator value</c> — and its order_by grammar, against a <see cref="SearchSchema"/>.
/// Every refusal is INVALID_PARAMETER_VALUE with the message MLflow gives.
/// </summary>
public static class SearchParser
{
    public static IReadOnlyList<FilterClause> ParseFilter(string? filter, SearchSchema schema)
    {
        if (string.IsNullOrWhiteSpace(filter))
        {
            return [];
        }

        var tokens = FilterLexer.Tokenize(filter);
        var clauses = new List<FilterClause>();
        var position = 0;
        while (position < tokens.Count)
        {
            var clauseStart = position;
            var end = position;
            while (end < tokens.Count && !tokens[end].IsKeyword("AND") && !tokens[end].IsKeyword("OR"))
            {
                end++;
            }

            if (end < tokens.Count && tokens[end].IsKeyword("OR"))
            {
                throw Invalid($"Invalid clause(s) in filter string: '{tokens[end].Text}'");
            }

            clauses.Add(ParseComparison(tokens.GetRange(clauseStart, end - clauseStart), schema, filter));
            position = end + 1;
            if (end < tokens.Count && position >= tokens.Count)
            {
                throw Invalid($"Invalid clause(s) in filter string: '{tokens[end].Text}'");
            }
        }

        return clauses;
    }

    public static IReadOnlyList<OrderByClause> ParseOrderBy(IEnumerable<string>? orderBy, SearchSchema schema)
    {
        var clauses = new List<OrderByClause>();
        foreach (var text in orderBy ?? [])
        {
            clauses.Add(ParseOrderByClause(text, schema));
        }

        return clauses;
    }

    private static OrderByClause ParseOrderByClause(string text, SearchSchema schema)
    {
        List<Token> tokens;
        try
        {
            tokens = FilterLexer.Tokenize(text ?? "");
        }
        catch (KilnException)
        {
            throw Invalid($"Invalid order_by clause '{text}'. Could not be parsed.");
        }

        var ascending = true;
        if (tokens.Count == 2 && tokens[1].Kind == TokenKind.Keyword && tokens[1].Value is "ASC" or "DESC")
        {
            ascending = tokens[1].Value == "ASC";
            tokens.RemoveAt(1);
        }

        if (tokens.Count != 1 || tokens[0].Kind is not (TokenKind.Identifier or TokenKind.DoubleQuoted))
        {
            throw Invalid($"Invalid order_by clause '{text}'. Could not be parsed.");
        }

        var (entity, key) = SplitIdentifier(tokens[0].Text, schema);
        if (entity == SearchEntity.Attribute)
        {
            if (!schema.OrderByAttributes.Contains(key))
            {
                throw Invalid($"Invalid attribute key '{key}' specified. Valid keys are '{ListText(schema.OrderByAttributes)}'");
            }

            key = schema.AttributeAliases.GetValueOrDefault(key, key);
        }
        else if (entity == SearchEntity.Dataset)
        {
            throw Invalid($"Invalid order_by entity type 'dataset' in clause '{text}'");
        }

        return new OrderByClause(entity, key, ascending);
    }

    private static FilterClause ParseComparison(List<Token> tokens, SearchSchema schema, string filter)
    {
        if (tokens.Count == 0)
        {
            throw Invalid($"Invalid filter '{filter}'. Could not be parsed.");
        }

        if (tokens[0].Kind is not (TokenKind.Identifier or TokenKind.DoubleQuoted))
        {
            throw Invalid($"Invalid comparison clause. Expected 'Identifier' found '{tokens[0].Text}'");
        }

        var (comparator, valueStart) = ReadComparator(tokens);
        var (entity, key) = SplitIdentifier(tokens[0].Text, schema);
        var valueTokens = tokens.GetRange(valueStart, tokens.Count - valueStart);

        if (comparator is Comparator.IsNull or Comparator.IsNotNull)
        {
            if (valueTokens.Count != 0 || entity != SearchEntity.Tag)
            {
                throw Invalid($"Invalid comparator '{comparator.ToText()}' not one of '{ListText(Allowed(entity, key, schema))}'");
            }

            return new FilterClause(entity, key, comparator, FilterValue.None.Instance);
        }

        if (valueTokens.Count == 0)
        {
            throw Invalid($"Invalid comparison clause. Expected 3 tokens found {tokens.Count - (valueStart - 1)}");
        }

        if (entity == SearchEntity.Attribute)
        {
            if (!schema.StringAttributes.Contains(key) && !schema.NumericAttributes.Contains(key))
            {
                throw Invalid($"Invalid attribute key '{key}' specified. Valid keys are '{ListText(schema.StringAttributes.Concat(schema.NumericAttributes))}'");
            }
        }
        else if (entity == SearchEntity.Dataset && !schema.DatasetAttributes.Contains(key))
        {
            throw Invalid($"Invalid dataset key '{key}' specified. Valid keys are '{ListText(schema.DatasetAttributes)}'");
        }

        var value = ReadValue(entity, key, comparator, valueTokens, schema);
        var allowed = Allowed(entity, key, schema);
        if (!allowed.Contains(comparator))
        {
            throw Invalid(entity switch
            {
                SearchEntity.Metric => $"Invalid comparator '{comparator.ToText()}' not one of '{ListText(allowed)}'",
                SearchEntity.Attribute when schema.NumericAttributes.Contains(key) => $"Invalid comparator '{comparator.ToText()}' not one of '{ListText(allowed)}'",
                _ => $"Invalid comparator '{comparator.ToText()}' not one of '{ListText(allowed)}'",
            });
        }

        key = entity == SearchEntity.Attribute ? schema.AttributeAliases.GetValueOrDefault(key, key) : key;
        return new FilterClause(entity, key, comparator, value);
    }

    private static IReadOnlySet<Comparator> Allowed(SearchEntity entity, string key, SearchSchema schema) => entity switch
    {
        SearchEntity.Metric => SearchSchema.NumericComparators,
        SearchEntity.Param or SearchEntity.Tag => SearchSchema.KeyValueComparators,
        SearchEntity.Dataset => SearchSchema.StringAttributeComparators,
        _ when schema.NumericAttributes.Contains(key) => SearchSchema.NumericComparators,
        _ => schema.ListAttributes.Contains(key) ? schema.StringComparators : schema.StringComparators.Where(c => c is not (Comparator.In or Comparator.NotIn)).ToHashSet(),
    };

    private static (Comparator Comparator, int ValueStart) ReadComparator(List<Token> tokens)
    {
        if (tokens.Count < 2)
        {
            throw Invalid($"Invalid comparison clause. Expected 3 tokens found {tokens.Count}");
        }

        var first = tokens[1];
        if (first.Kind == TokenKind.Operator)
        {
            return (first.Value switch
            {
                "=" or "==" => Comparator.Equal,
                "!=" => Comparator.NotEqual,
                "<" => Comparator.Less,
                "<=" => Comparator.LessOrEqual,
                ">" => Comparator.Greater,
                ">=" => Comparator.GreaterOrEqual,
                _ => throw Invalid($"Invalid comparison clause. Unexpected comparison '{first.Text}'"),
            }, 2);
        }

        if (first.Kind == TokenKind.Keyword)
        {
            switch (first.Value)
            {
                case "LIKE":
                    return (Comparator.Like, 2);
                case "ILIKE":
                    return (Comparator.ILike, 2);
                case "IN":
                    return (Comparator.In, 2);
                case "NOT" when tokens.Count > 2 && tokens[2].IsKeyword("IN"):
                    return (Comparator.NotIn, 3);
                case "IS" when tokens.Count > 2 && tokens[2].IsKeyword("NULL"):
                    return (Comparator.IsNull, 3);
                case "IS" when tokens.Count > 3 && tokens[2].IsKeyword("NOT") && tokens[3].IsKeyword("NULL"):
                    return (Comparator.IsNotNull, 4);
            }
        }

        throw Invalid($"Invalid comparison clause. Unexpected comparison '{first.Text}'");
    }

    private static FilterValue ReadValue(SearchEntity entity, string key, Comparator comparator, List<Token> tokens, SearchSchema schema)
    {
        var first = tokens[0];
        if (first.Kind == TokenKind.OpenParen)
        {
            if (entity == SearchEntity.Attribute && !schema.ListAttributes.Contains(key))
            {
                throw Invalid($"Only the '{ListText(schema.ListAttributes)}' attribute supports comparison with a list of quoted string values.");
            }

            if (entity is not (SearchEntity.Attribute or SearchEntity.Dataset))
            {
                throw Invalid($"Expected a quoted string value for {EntityName(entity)} (e.g. 'my-value'). Got value {string.Concat(tokens.Select(t => t.Text))}");
            }

            return ReadList(tokens);
        }

        if (tokens.Count != 1)
        {
            throw Invalid($"Invalid comparison clause. Expected 3 tokens found {2 + tokens.Count}");
        }

        if (comparator is Comparator.In or Comparator.NotIn)
        {
            throw Invalid($"While parsing a list in the query, expected a non-empty list of string values, but got {first.Text}");
        }

        var numeric = entity == SearchEntity.Metric || (entity == SearchEntity.Attribute && schema.NumericAttributes.Contains(key));
        if (numeric)
        {
            if (first.Kind != TokenKind.Number)
            {
                throw Invalid(entity == SearchEntity.Metric
                    ? $"Expected numeric value type for metric. Found {first.Text}"
                    : $"Expected numeric value type for numeric attribute: {key}. Found {first.Text}");
            }

            return new FilterValue.Number(double.Parse(first.Value, NumberStyles.Float, CultureInfo.InvariantCulture));
        }

        if (first.Kind is TokenKind.SingleQuoted or TokenKind.DoubleQuoted)
        {
            return new FilterValue.Text(first.Value);
        }

        throw Invalid(entity switch
        {
            SearchEntity.Attribute => $"Expected a quoted string value for attributes. Got value {first.Text}",
            SearchEntity.Dataset => $"Expected a quoted string value for dataset attributes. Got value {first.Text}",
            _ => $"Expected a quoted string value for {EntityName(entity)} (e.g. 'my-value'). Got value {first.Text}",
        });
    }

    private static FilterValue.List ReadList(List<Token> tokens)
    {
        var text = string.Join(' ', tokens.Select(t => t.Text));
        if (tokens[^1].Kind != TokenKind.CloseParen || tokens.Count < 3)
        {
            throw Invalid($"While parsing a list in the query, expected a non-empty list of string values, but got {text}");
        }

        var values = new List<string>();
        for (var i = 1; i < tokens.Count - 1; i++)
        {
            var expectValue = (i % 2) == 1;
            var token = tokens[i];
            if (expectValue && token.Kind is TokenKind.SingleQuoted or TokenKind.DoubleQuoted)
            {
                values.Add(token.Value);
            }
            else if (!expectValue && token.Kind == TokenKind.Comma)
            {
                continue;
            }
            else
            {
                throw Invalid($"While parsing a list in the query, expected string value, punctuation, or whitespace, but got different type in list: {text}");
            }
        }

        if (tokens.Count % 2 != 1)
        {
            throw Invalid($"While parsing a list in the query, expected string value, punctuation, or whitespace, but got different type in list: {text}");
        }

        return new FilterValue.List(values);
    }

    /// <summary>Splits <c>entity.key</c>; a bare key is an attribute. Quotes and backticks around the key are removed.</summary>
    private static (SearchEntity Entity, string Key) SplitIdentifier(string identifier, SearchSchema schema)
    {
        string prefix;
        string key;
        if (identifier.StartsWith('"') || identifier.StartsWith('`'))
        {
            return (SearchEntity.Attribute, Unquote(identifier));
        }

        var dot = identifier.IndexOf('.', StringComparison.Ordinal);
        if (dot < 0)
        {
            return (SearchEntity.Attribute, identifier);
        }

        prefix = identifier[..dot];
        key = Unquote(identifier[(dot + 1)..]);
        if (!schema.Prefixes.TryGetValue(prefix, out var entity))
        {
            var valid = schema.Prefixes.Values.Distinct().Select(EntityName);
            throw Invalid($"Invalid entity type '{prefix}'. Valid values are {PythonList(valid)}");
        }

        if (key.Length == 0)
        {
            throw Invalid($"Invalid identifier '{identifier}'");
        }

        return (entity, key);
    }

    private static string Unquote(string text) =>
        text.Length >= 2 && (text[0] == '`' || text[0] == '"') && text[^1] == text[0]
            ? text[1..^1].Replace($"{text[0]}{text[0]}", text[0].ToString(), StringComparison.Ordinal)
            : text;

    private static string EntityName(SearchEntity entity) => entity switch
    {
        SearchEntity.Metric => "metric",
        SearchEntity.Param => "parameter",
        SearchEntity.Tag => "tag",
        SearchEntity.Attribute => "attribute",
        SearchEntity.Dataset => "dataset",
        _ => entity.ToString(),
    };

    private static string ListText(IEnumerable<string> values) => PythonList(values);

    private static string ListText(IEnumerable<Comparator> values) => PythonList(values.Select(c => c.ToText()));

    private static string PythonList(IEnumerable<string> values) => "[" + string.Join(", ", values.Select(v => $"'{v}'")) + "]";

    private static KilnException Invalid(string message) => KilnException.InvalidParameter(message);
}
