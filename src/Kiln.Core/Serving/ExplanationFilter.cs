using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kiln.Core.Common;

namespace Kiln.Core.Serving;

/// <summary>
/// The JMESPath subset of SageMaker Clarify's EnableExplanations, evaluated on each record of the model's output
/// (a CSV record is a JSON array of its fields, a JSON Lines record an object): literals (<c>`true`</c>,
/// <c>`0.5`</c>, <c>'text'</c>), paths (<c>[1]</c>, <c>probability</c>, <c>scores[0]</c>, <c>a.b</c>),
/// comparisons (<c>&gt; &gt;= &lt; &lt;= == !=</c>), <c>!</c>, <c>&amp;&amp;</c>, <c>||</c> and parentheses.
/// Functions (contains, max …) and projections are refused when the expression is parsed, saying so.
/// </summary>
public sealed class ExplanationFilter
{
    private readonly Node _root;

    private ExplanationFilter(string text, Node root)
    {
        Text = text;
        _root = root;
    }

    public string Text { get; }

    /// <summary>Parses an expression; throws InvalidParameter naming the position of the problem.</summary>
    public static ExplanationFilter Parse(string text)
    {
        var parser = new Parser(text);
        var root = parser.Or();
        parser.SkipSpace();
        if (!parser.AtEnd)
        {
            throw parser.Error("unexpected text");
        }

        return new ExplanationFilter(text, root);
    }

    /// <summary>True when the record is to be explained: the result is JMESPath-truthy (not false, null, or an empty string, array or object).</summary>
    public bool Selects(JsonNode? record) => Truthy(_root.Evaluate(record));

    private static bool Truthy(JsonNode? value) => value switch
    {
        null => false,
        JsonArray array => array.Count > 0,
        JsonObject obj => obj.Count > 0,
        JsonValue v when v.GetValueKind() == JsonValueKind.False => false,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>().Length > 0,
        _ => true,
    };

    private abstract class Node
    {
        public abstract JsonNode? Evaluate(JsonNode? current);
    }

    private sealed class Literal(JsonNode? value) : Node
    {
        public override JsonNode? Evaluate(JsonNode? current) => value?.DeepClone();
    }

    private sealed class Field(Node? from, string name) : Node
    {
        public override JsonNode? Evaluate(JsonNode? current) =>
            (from is null ? current : from.Evaluate(current)) is JsonObject obj && obj.TryGetPropertyValue(name, out var value) ? value?.DeepClone() : null;
    }

    private sealed class Index(Node? from, int index) : Node
    {
        public override JsonNode? Evaluate(JsonNode? current)
        {
            if ((from is null ? current : from.Evaluate(current)) is not JsonArray array)
            {
                return null;
            }

            var at = index < 0 ? array.Count + index : index;
            return at >= 0 && at < array.Count ? array[at]?.DeepClone() : null;
        }
    }

    private sealed class Not(Node inner) : Node
    {
        public override JsonNode? Evaluate(JsonNode? current) => JsonValue.Create(!Truthy(inner.Evaluate(current)));
    }

    private sealed class Logical(Node left, Node right, bool and) : Node
    {
        public override JsonNode? Evaluate(JsonNode? current)
        {
            var first = left.Evaluate(current);
            return Truthy(first) == and ? right.Evaluate(current) : first;
        }
    }

    private sealed class Comparison(Node left, Node right, string op) : Node
    {
        public override JsonNode? Evaluate(JsonNode? current)
        {
            var a = left.Evaluate(current);
            var b = right.Evaluate(current);
            if (op is "==" or "!=")
            {
                return JsonValue.Create(JsonNode.DeepEquals(a, b) == (op == "=="));
            }

            // JMESPath orders numbers only; any other operand makes the comparison null.
            if (Number(a) is not { } x || Number(b) is not { } y)
            {
                return null;
            }

            return JsonValue.Create(op switch
            {
                ">" => x > y,
                ">=" => x >= y,
                "<" => x < y,
                _ => x <= y,
            });
        }

        private static double? Number(JsonNode? node) =>
            node is JsonValue value && value.GetValueKind() == JsonValueKind.Number ? value.GetValue<double>() : null;
    }

    private sealed class Parser(string text)
    {
        private int _at;

        public bool AtEnd => _at >= text.Length;

        public Node Or()
        {
            var left = And();
            while (Take("||"))
            {
                left = new Logical(left, And(), and: false);
            }

            return left;
        }

        private Node And()
        {
            var left = Unary();
            while (Take("&&"))
            {
                left = new Logical(left, Unary(), and: true);
            }

            return left;
        }

        private Node Unary()
        {
            SkipSpace();
            if (Peek('!') && !PeekAt(1, '='))
            {
                _at++;
                return new Not(Unary());
            }

            var left = Operand();
            foreach (var op in new[] { ">=", "<=", "==", "!=", ">", "<" })
            {
                if (Take(op))
                {
                    return new Comparison(left, Operand(), op);
                }
            }

            return left;
        }

        private Node Operand()
        {
            SkipSpace();
            if (AtEnd)
            {
                throw Error("an expression is missing");
            }

            Node node;
            var c = text[_at];
            if (c == '(')
            {
                _at++;
                node = Or();
                if (!Take(")"))
                {
                    throw Error("')' expected");
                }

                return node;
            }

            if (c == '`')
            {
                return new Literal(JsonLiteral(Until('`')));
            }

            if (c == '\'')
            {
                return new Literal(JsonValue.Create(Until('\'')));
            }

            if (c == '[')
            {
                node = new Index(null, Bracket());
            }
            else if (char.IsLetter(c) || c == '_')
            {
                node = new Field(null, Identifier());
            }
            else if (c == '"')
            {
                node = new Field(null, Until('"'));
            }
            else
            {
                throw Error($"'{c}' is not supported");
            }

            while (!AtEnd)
            {
                if (Peek('['))
                {
                    node = new Index(node, Bracket());
                }
                else if (Peek('.'))
                {
                    _at++;
                    node = new Field(node, Peek('"') ? Until('"') : Identifier());
                }
                else
                {
                    break;
                }
            }

            if (Peek('('))
            {
                throw Error("functions are not supported by Kiln's EnableExplanations (use paths, literals, comparisons, !, && and ||)");
            }

            return node;
        }

        private int Bracket()
        {
            _at++;
            var start = _at;
            if (Peek('-'))
            {
                _at++;
            }

            while (!AtEnd && char.IsAsciiDigit(text[_at]))
            {
                _at++;
            }

            if (!int.TryParse(text.AsSpan(start, _at - start), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var index) || !Take("]"))
            {
                throw Error("only a whole-number index is supported inside [ ] (no slices, projections or filters)");
            }

            return index;
        }

        private string Identifier()
        {
            var start = _at;
            while (!AtEnd && (char.IsLetterOrDigit(text[_at]) || text[_at] == '_'))
            {
                _at++;
            }

            if (_at == start)
            {
                throw Error("a field name is expected");
            }

            return text[start.._at];
        }

        private string Until(char quote)
        {
            var start = ++_at;
            var end = text.IndexOf(quote, start);
            if (end < 0)
            {
                throw Error($"unclosed {quote}");
            }

            _at = end + 1;
            return text[start..end];
        }

        private JsonNode? JsonLiteral(string json)
        {
            try
            {
                return JsonNode.Parse(json);
            }
            catch (JsonException)
            {
                throw Error($"`{json}` is not a JSON literal");
            }
        }

        private bool Take(string token)
        {
            SkipSpace();
            if (string.CompareOrdinal(text, _at, token, 0, token.Length) != 0)
            {
                return false;
            }

            _at += token.Length;
            return true;
        }

        private bool Peek(char c) => !AtEnd && text[_at] == c;

        private bool PeekAt(int offset, char c) => _at + offset < text.Length && text[_at + offset] == c;

        public void SkipSpace()
        {
            while (!AtEnd && char.IsWhiteSpace(text[_at]))
            {
                _at++;
            }
        }

        public KilnException Error(string problem) =>
            KilnException.InvalidParameter($"EnableExplanations '{text}' is not a valid expression at position {_at}: {problem}.");
    }
}
