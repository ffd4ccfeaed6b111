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
    private readonly string _text;
    private int _at;

    private MiniJson(string text) => _text = text;

    public static object? Parse(string text)
    {
        var reader = new MiniJson(text);
        var value = reader.Value();
        reader.Space();
        if (reader._at != text.Length)
        {
            throw reader.Error("text after the value");
        }

        return value;
    }

    private object? Value()
    {
        Space();
        if (_at >= _text.Length)
        {
            throw Error("end of text");
        }

        switch (_text[_at])
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
        _at++;
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
        _at++;
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
        while (_at < _text.Length && _text[_at] != '"')
        {
            var c = _text[_at++];
            if (c != '\\')
            {
                result.Append(c);
                continue;
            }

            if (_at >= _text.Length)
            {
                break;
            }

            var escaped = _text[_at++];
            switch (escaped)
            {
                case 'n': result.Append('\n'); break;
                case 't': result.Append('\t'); break;
                case 'r': result.Append('\r'); break;
                case 'b': result.Append('\b'); break;
                case 'f': result.Append('\f'); break;
                case 'u':
                    if (_at + 4 > _text.Length)
                    {
                        throw Error("a short \\u escape");
                    }

                    result.Append((char)int.Parse(_text.Substring(_at, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                    _at += 4;
                    break;
                default: result.Append(escaped); break;
            }
        }

        Expect('"');
        return result.ToString();
    }

    private string Number()
    {
        var start = _at;
        while (_at < _text.Length && "+-0123456789.eE".IndexOf(_text[_at]) >= 0)
        {
            _at++;
        }

        return start == _at ? throw Error("a value") : _text.Substring(start, _at - start);
    }

    private void Word(string word)
    {
        if (string.CompareOrdinal(_text, _at, word, 0, word.Length) != 0)
        {
            throw Error(word);
        }

        _at += word.Length;
    }

    private bool Peek(char c)
    {
        if (_at < _text.Length && _text[_at] == c)
        {
            _at++;
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
        while (_at < _text.Length && char.IsWhiteSpace(_text[_at]))
        {
            _at++;
        }
    }

    private FormatException Error(string expected) => new($"JSON: expected {expected} at offset {_at}.");
}
