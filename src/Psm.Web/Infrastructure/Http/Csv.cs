using System.Text;

namespace Psm.Web.Infrastructure.Http;

/// <summary>RFC 4180 CSV: the format every list exports and every import reads.</summary>
public static class Csv
{
    public const string ContentType = "text/csv; charset=utf-8";

    /// <summary>Streams rows to the response as a CSV download; memory stays flat however many rows there are.</summary>
    public static async Task WriteAsync(
        HttpResponse response, string fileName, string[] header, IAsyncEnumerable<string?[]> rows, CancellationToken ct)
    {
        response.ContentType = ContentType;
        response.Headers.ContentDisposition = $"attachment; filename={fileName}";
        await using var writer = new StreamWriter(response.Body, new UTF8Encoding(false), 64 * 1024);
        await writer.WriteLineAsync(Line(header));
        await foreach (var row in rows.WithCancellation(ct))
        {
            await writer.WriteLineAsync(Line(row));
        }
    }

    /// <summary>A day as every import reads it: yyyy-MM-dd.</summary>
    public static string Day(DateOnly day) => day.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>An amount as every import reads it: a dot for decimals, no trailing zeros whatever scale the engine kept.</summary>
    public static string Amount(decimal amount) => amount.ToString("0.############", System.Globalization.CultureInfo.InvariantCulture);

    public static string Line(IEnumerable<string?> fields) => string.Join(",", fields.Select(Escape));

    private static string Escape(string? field)
    {
        field ??= "";
        // A leading =, +, - or @ would be run as a formula by spreadsheets: prefix it so it stays text.
        if (field.Length > 0 && field[0] is '=' or '+' or '-' or '@')
        {
            field = "'" + field;
        }

        return field.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? $"\"{field.Replace("\"", "\"\"")}\"" : field;
    }

    /// <summary>Reads records one at a time, so a large upload is never held in memory whole.</summary>
    public static async IAsyncEnumerable<string[]> ReadAsync(
        TextReader reader, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        var any = false;
        var buffer = new char[16 * 1024];
        int read;
        var pendingQuote = false;
        var skipNewline = false;

        while ((read = await reader.ReadAsync(buffer.AsMemory(), ct)) > 0)
        {
            for (var i = 0; i < read; i++)
            {
                var ch = buffer[i];
                if (skipNewline)
                {
                    skipNewline = false;
                    if (ch == '\n')
                    {
                        continue;
                    }
                }

                if (quoted)
                {
                    if (pendingQuote)
                    {
                        pendingQuote = false;
                        if (ch == '"')
                        {
                            field.Append('"');
                            continue;
                        }

                        quoted = false;
                    }
                    else if (ch == '"')
                    {
                        pendingQuote = true;
                        continue;
                    }
                    else
                    {
                        field.Append(ch);
                        continue;
                    }
                }

                switch (ch)
                {
                    case '"' when field.Length == 0:
                        quoted = true;
                        any = true;
                        break;
                    case ',':
                        fields.Add(field.ToString());
                        field.Clear();
                        any = true;
                        break;
                    case '\r' or '\n':
                        skipNewline = ch == '\r';
                        if (any || field.Length > 0)
                        {
                            fields.Add(field.ToString());
                            yield return fields.ToArray();
                        }

                        fields.Clear();
                        field.Clear();
                        any = false;
                        break;
                    default:
                        field.Append(ch);
                        any = true;
                        break;
                }
            }
        }

        if (any || field.Length > 0 || fields.Count > 0)
        {
            fields.Add(field.ToString());
            yield return fields.ToArray();
        }
    }
}
