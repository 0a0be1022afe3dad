using System.Text;

namespace Psm.Web.Infrastructure.Http;

/// <summary>One rejected row of an import or a batch: its number (the header is row 1), the field and why.</summary>
public sealed record ImportRowProblem(int Row, string Field, string Message);

/// <summary>A field an import fills, and whether a file must provide it.</summary>
public sealed record ImportField(string Name, bool Required, string Description);

/// <summary>What an upload looks like before it is imported: its columns, a guessed mapping and a few rows.</summary>
public sealed record ImportPreview(IReadOnlyList<string> Columns, IReadOnlyDictionary<string, string> SuggestedMapping, IReadOnlyList<string[]> Sample,
    IReadOnlyList<ImportField> Fields);

public sealed record CsvImportResult(int RowsRead, int Imported, int Duplicates, IReadOnlyList<ImportRowProblem> Rejected, bool RejectedTruncated, bool Applied)
{
    /// <summary>How this import recognises a row it already has (what <see cref="Duplicates"/> counts).</summary>
    public string DuplicateRule { get; init; } = RowFingerprints.Rule;
}

/// <summary>
/// Reads an uploaded CSV for an import: strictly UTF-8 (a file in another encoding is refused, not
/// garbled), header row first, any column order, mapped to the import's fields by a user's mapping
/// or by name. Rows stream; nothing holds the whole file.
/// </summary>
public static class CsvImport
{
    public const int MaxReportedProblems = 500;

    /// <summary>The largest upload an import endpoint takes, in MB (Imports:MaxRequestBodyMb); every other endpoint keeps the server's 30 MB.</summary>
    public const long DefaultMaxUploadMb = 2048;

    /// <summary>
    /// Lets this import endpoint take a body up to Imports:MaxRequestBodyMb (2 GB unless set): the file
    /// streams through the import row by row, so its size costs time, not memory. The limit is raised by
    /// <see cref="UseLargeUploadLimits"/> as soon as the endpoint is known, before anything (an idempotency
    /// key's hash) reads the body.
    /// </summary>
    public static RouteHandlerBuilder AllowsLargeUploads(this RouteHandlerBuilder endpoint) => endpoint.WithMetadata(LargeUpload.Instance);

    /// <summary>Raises the request body limit for the endpoints marked <see cref="AllowsLargeUploads"/>; runs after routing.</summary>
    public static IApplicationBuilder UseLargeUploadLimits(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            if (context.GetEndpoint()?.Metadata.GetMetadata<LargeUpload>() is not null
                && context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } body)
            {
                var limitMb = context.RequestServices.GetRequiredService<IConfiguration>().GetValue("Imports:MaxRequestBodyMb", DefaultMaxUploadMb);
                body.MaxRequestBodySize = Math.Max(1, limitMb) * 1024 * 1024;
            }

            await next(context);
        });

    /// <summary>Endpoint metadata: this endpoint takes uploads up to Imports:MaxRequestBodyMb.</summary>
    public sealed class LargeUpload
    {
        public static readonly LargeUpload Instance = new();
    }

    public static StreamReader Reader(Stream stream) =>
        new(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true), detectEncodingFromByteOrderMarks: true, 64 * 1024);

    public static async Task<ImportPreview> PreviewAsync(Stream stream, IReadOnlyList<ImportField> fields, CancellationToken ct)
    {
        using var reader = Reader(stream);
        var sample = new List<string[]>();
        string[]? header = null;
        await foreach (var record in Records(reader, ct))
        {
            if (header is null)
            {
                header = record;
                continue;
            }

            sample.Add(record);
            if (sample.Count == 5)
            {
                break;
            }
        }

        if (header is null)
        {
            throw new RequestValidationException("file", "The file is empty.");
        }

        return new ImportPreview(header, Guess(header, fields), sample, fields);
    }

    /// <summary>
    /// Streams the data rows as (row number, field lookup). Row 1 is the header. An unmapped required
    /// field or a mapping to a missing column is refused before any row is read.
    /// </summary>
    public static async IAsyncEnumerable<(int Row, Func<string, string> Field)> RowsAsync(
        TextReader reader, IReadOnlyList<ImportField> fields, IReadOnlyDictionary<string, string>? mapping,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        Dictionary<string, int>? index = null;
        var row = 0;
        await foreach (var record in Records(reader, ct))
        {
            row++;
            if (index is null)
            {
                index = Resolve(record, fields, mapping);
                continue;
            }

            string Field(string name) => index.TryGetValue(name, out var i) && i < record.Length ? record[i].Trim() : "";
            yield return (row, Field);
        }

        if (index is null)
        {
            throw new RequestValidationException("file", "The file is empty.");
        }
    }

    /// <summary>Reads a mapping given as "field:Column,field:Column" (the API's query form).</summary>
    public static IReadOnlyDictionary<string, string>? ParseMapping(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var map = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var pair in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = pair.Split(':', 2, StringSplitOptions.TrimEntries);
            if (parts.Length != 2 || parts[0].Length == 0 || parts[1].Length == 0)
            {
                throw new RequestValidationException("map", $"'{pair}' is not field:Column.");
            }

            map[parts[0]] = parts[1];
        }

        return map;
    }

    private static async IAsyncEnumerable<string[]> Records(TextReader reader, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        var enumerator = Csv.ReadAsync(reader, ct).GetAsyncEnumerator(ct);
        try
        {
            while (true)
            {
                try
                {
                    if (!await enumerator.MoveNextAsync())
                    {
                        yield break;
                    }
                }
                catch (DecoderFallbackException)
                {
                    throw new RequestValidationException("file", "The file is not UTF-8 text. Save it as \"CSV UTF-8\" and import it again.");
                }

                yield return enumerator.Current;
            }
        }
        finally
        {
            await enumerator.DisposeAsync();
        }
    }

    private static Dictionary<string, int> Resolve(string[] header, IReadOnlyList<ImportField> fields, IReadOnlyDictionary<string, string>? mapping)
    {
        var columns = header.Select(h => h.Trim()).ToList();
        var chosen = mapping is { Count: > 0 } ? mapping : Guess(header, fields);
        var index = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        var problems = new List<(string, string)>();
        foreach (var (field, column) in chosen)
        {
            if (fields.All(f => !f.Name.Equals(field, StringComparison.OrdinalIgnoreCase)))
            {
                problems.Add(("map", $"There is no field '{field}' to import into."));
                continue;
            }

            var at = columns.FindIndex(c => c.Equals(column, StringComparison.OrdinalIgnoreCase));
            if (at < 0)
            {
                problems.Add(("map", $"The file has no column '{column}' (for {field})."));
                continue;
            }

            index[field] = at;
        }

        foreach (var field in fields.Where(f => f.Required && !index.ContainsKey(f.Name)))
        {
            problems.Add(("map", $"Choose the column that holds {field.Name} ({field.Description})."));
        }

        RequestValidationException.ThrowIfAny(problems);
        return index;
    }

    /// <summary>A column whose name, ignoring case, spaces and underscores, is the field's name.</summary>
    private static Dictionary<string, string> Guess(string[] header, IReadOnlyList<ImportField> fields)
    {
        static string Key(string s) => new(s.Where(char.IsLetterOrDigit).Select(char.ToLowerInvariant).ToArray());
        var map = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var field in fields)
        {
            if (header.FirstOrDefault(h => Key(h) == Key(field.Name)) is { } column)
            {
                map[field.Name] = column.Trim();
            }
        }

        return map;
    }
}
