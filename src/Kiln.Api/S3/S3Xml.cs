using System.Globalization;
using System.Text;
using System.Xml;
using Kiln.Core.Objects;

namespace Kiln.Api.S3;

/// <summary>S3's XML documents and errors (namespace http://s3.amazonaws.com/doc/2006-03-01/).</summary>
internal static class S3Xml
{
    public const string Namespace = "http://s3.amazonaws.com/doc/2006-03-01/";

    public static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);

    public static string HttpTime(DateTimeOffset time) => time.UtcDateTime.ToString("R", CultureInfo.InvariantCulture);

    public static async Task WriteAsync(HttpResponse response, string root, Action<XmlWriter> body, int status = 200, string? ns = Namespace)
    {
        response.StatusCode = status;
        response.ContentType = "application/xml";
        var buffer = new StringBuilder();
        using (var writer = XmlWriter.Create(buffer, new XmlWriterSettings { OmitXmlDeclaration = false, Encoding = Encoding.UTF8, Async = false }))
        {
            writer.WriteStartElement(root, ns ?? "");
            body(writer);
            writer.WriteEndElement();
        }

        // XmlWriter over a StringBuilder declares utf-16; the bytes sent are UTF-8.
        await response.WriteAsync(buffer.ToString().Replace("encoding=\"utf-16\"", "encoding=\"UTF-8\"", StringComparison.Ordinal));
    }

    public static void Element(this XmlWriter writer, string name, string? value)
    {
        if (value is not null)
        {
            writer.WriteElementString(name, writer.LookupPrefix(Namespace) is null ? "" : Namespace, XmlText(value));
        }
    }

    /// <summary>
    /// <paramref name="value"/> with each character XML cannot carry replaced by U+FFFD: an error message can quote a
    /// client's control characters, and XmlWriter would throw on them instead of writing the answer.
    /// </summary>
    public static string XmlText(string value)
    {
        if (value.All(XmlConvert.IsXmlChar))
        {
            return value;
        }

        var text = new StringBuilder(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            if (i + 1 < value.Length && XmlConvert.IsXmlSurrogatePair(value[i + 1], value[i]))
            {
                text.Append(value, i++, 2);
            }
            else
            {
                text.Append(XmlConvert.IsXmlChar(value[i]) ? value[i] : '\uFFFD');
            }
        }

        return text.ToString();
    }

    public static (string Code, int Status) Describe(ObjectError error) => error switch
    {
        ObjectError.NoSuchBucket => ("NoSuchBucket", 404),
        ObjectError.NoSuchKey => ("NoSuchKey", 404),
        ObjectError.NoSuchUpload => ("NoSuchUpload", 404),
        ObjectError.BucketNotEmpty => ("BucketNotEmpty", 409),
        ObjectError.BucketAlreadyOwnedByYou => ("BucketAlreadyOwnedByYou", 409),
        ObjectError.InvalidBucketName => ("InvalidBucketName", 400),
        ObjectError.InvalidKey => ("InvalidArgument", 400),
        ObjectError.InvalidRange => ("InvalidRange", 416),
        ObjectError.BadDigest => ("BadDigest", 400),
        ObjectError.EntityTooSmall => ("EntityTooSmall", 400),
        ObjectError.EntityTooLarge => ("EntityTooLarge", 400),
        ObjectError.InvalidPart => ("InvalidPart", 400),
        ObjectError.InvalidPartOrder => ("InvalidPartOrder", 400),
        ObjectError.InvalidRequest => ("InvalidRequest", 400),
        _ => ("InvalidArgument", 400),
    };

    public static async Task WriteErrorAsync(HttpContext http, string code, string message, int status)
    {
        if (http.Response.HasStarted)
        {
            return;
        }

        http.Response.Headers["x-amz-error-code"] = code;
        if (http.Request.ContentLength > 0 || http.Request.Headers.TransferEncoding.Count > 0)
        {
            // The body may be partly unread (a refusal comes before the upload); a fresh connection keeps the client in step.
            http.Response.Headers.Connection = "close";
        }

        if (HttpMethods.IsHead(http.Request.Method))
        {
            // A HEAD answer has no body: the status (and headers) carry the error.
            http.Response.StatusCode = status;
            return;
        }

        await WriteAsync(http.Response, "Error", writer =>
        {
            writer.Element("Code", code);
            writer.Element("Message", message);
            writer.Element("Resource", http.Request.Path.Value);
            writer.Element("RequestId", http.Response.Headers["x-amz-request-id"].ToString());
        }, status, ns: null);
    }
}
