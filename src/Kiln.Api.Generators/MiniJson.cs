using System.Globalization;
using System.Text;

namespace Kiln.Api.Generators;

/// <summary>
/// A small JSON reader for the trimmed service model: objects become ordered key/value lists (member order is
/// the model's), arrays lists, strings strings, numbers their text, true/false bools, null null. A generator
/// runs inside the compiler on netstandard2.0, where System.Text.Json would have to be shipped alongside it.
/// </summary>
internal sealed class MiniJson
{
    private readonly string text;
    private int at;

    private MiniJson(string text) => this.text = text;

    public static object? Parse(string text)
    {
        var reader = new MiniJson(text);
        var value = reader.Value();
        reader.Space();
        if (reader.at != text.Length)
        {
            throw reader.Error("text after the value");
        }

        return value;
    }

    private object? Value()
    {
        Space();
        if (at >= text.Length)
        {
            throw Error("end of text");
        }

        switch (text[at])
        {
            case '{':
                return Object();
            case '[':
                return Array();
            case '"':
                return String();
            case 't':
                Word("true");
                return true;
            case 'f':
                Word("false");
                return false;
            case 'n':
                Word("null");
                return null;
            default:
                return Number();
        }
    }

    private List<KeyValuePair<string, object?>> Object()
    {
        var members = new List<KeyValuePair<string, object?>>();
        at++;
        Space();
        if (Peek('}'))
        {
            return members;
        }

        while (true)
        {
            Space();
            var key = String();
            Space();
            Expect(':');
            members.Add(new KeyValuePair<string, object?>(key, Value()));
            Space();
            if (Peek('}'))
            {
                return members;
            }

            Expect(',');
        }
    }

    private List<object?> Array()
    {
        var items = new List<object?>();
        at++;
        Space();
        if (Peek(']'))
        {
            return items;
        }

        while (true)
        {
            items.Add(Value());
            Space();
            if (Peek(']'))
            {
                return items;
            }

            Expect(',');
        }
    }

    private string String()
    {
        Expect('"');
        var result = new StringBuilder();
        while (at < text.Length && text[at] != '"')
        {
            var c = text[at++];
            if (c != '\\')
            {
                result.Append(c);
                continue;
            }

            if (at >= text.Length)
            {
                break;
            }

            var escaped = text[at++];
            switch (escaped)
            {
                case 'n': result.Append('\n'); break;
                case 't': result.Append('\t'); break;
                case 'r': result.Append('\r'); break;
                case 'b': result.Append('\b'); break;
                case 'f': result.Append('\f'); break;
                case 'u':
                    if (at + 4 > text.Length)
                    {
                        throw Error("a short \\u escape");
                    }

                    result.Append((char)int.Parse(text.Substring(at, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                    at += 4;
                    break;
                default: result.Append(escaped); break;
            }
        }

        Expect('"');
        return result.ToString();
    }

    private string Number()
    {
        var start = at;
        while (at < text.Length && "+-0123456789.eE".IndexOf(text[at]) >= 0)
        {
            at++;
        }

        return start == at ? throw Error("a value") : text.Substring(start, at - start);
    }

    private void Word(string word)
    {
        if (string.CompareOrdinal(text, at, word, 0, word.Length) != 0)
        {
            throw Error(word);
        }

        at += word.Length;
    }

    private bool Peek(char c)
    {
        if (at < text.Length && text[at] == c)
        {
            at++;
            return true;
        }

        return false;
    }

    private void Expect(char c)
    {
        if (!Peek(c))
        {
            throw Error($"'{c}'");
        }
    }

    private void Space()
    {
        while (at < text.Length && char.IsWhiteSpace(text[at]))
        {
            at++;
        }
    }

    private FormatException Error(string expected) => new($"JSON: expected {expected} at offset {at}.");
}
