using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Psm.Web.Infrastructure.Http;

/// <summary>
/// Turns the framework's "could not read the request" into problem details that name the field by its
/// JSON path or query name, in every environment, without C# type or parameter names.
/// </summary>
public static partial class UnreadableRequest
{
    /// <summary>What a 413 says, whichever part of the pipeline refused the body.</summary>
    public const string TooLarge =
        "The request body is larger than this endpoint takes: 30 MB, or for a CSV import Imports:MaxRequestBodyMb (2 GB unless the operator set otherwise).";

    public static ProblemDetails Describe(BadHttpRequestException bad)
    {
        if (bad.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return new ProblemDetails
            {
                Status = bad.StatusCode, Title = "The request body is too large.", Detail = TooLarge,
            };
        }

        if (bad.StatusCode != StatusCodes.Status400BadRequest)
        {
            return new ProblemDetails { Status = bad.StatusCode, Title = "The request could not be read." };
        }

        var (field, message) = Explain(bad);
        return new HttpValidationProblemDetails(new Dictionary<string, string[]> { [field] = [message] })
        {
            Status = StatusCodes.Status400BadRequest,
            Title = "One or more fields are invalid.",
            Detail = field == "$" ? message : $"{field}: {message}",
        };
    }

    private static (string Field, string Message) Explain(BadHttpRequestException bad)
    {
        if (bad.InnerException is JsonException json)
        {
            var path = string.IsNullOrEmpty(json.Path) ? "$" : json.Path;
            var field = path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path;
            return (field, JsonMessage(json));
        }

        if (BindFailure().Match(bad.Message) is { Success: true } bind)
        {
            return (bind.Groups["name"].Value, ValueMessage(bind.Groups["type"].Value, bind.Groups["value"].Value));
        }

        if (MissingParameter().Match(bad.Message) is { Success: true } missing)
        {
            return missing.Groups["source"].Value.Contains("body", StringComparison.OrdinalIgnoreCase)
                ? ("$", "A JSON body is required.")
                : (missing.Groups["name"].Value, "This value is required.");
        }

        if (bad.Message.Contains("Content-Type", StringComparison.OrdinalIgnoreCase) || bad.Message.Contains("content type", StringComparison.OrdinalIgnoreCase))
        {
            return ("$", "Send the body as application/json.");
        }

        return ("$", "The request body is not valid JSON.");
    }

    private static string JsonMessage(JsonException json)
    {
        // Our own converters say what they expect; the serializer's messages name .NET types instead.
        if (json.Message is { } own && !own.StartsWith("The JSON value could not be converted", StringComparison.Ordinal)
            && !own.Contains("is an invalid", StringComparison.Ordinal) && !own.Contains("Path:", StringComparison.Ordinal)
            && json.InnerException is null)
        {
            return own;
        }

        if (ConvertFailure().Match(json.Message) is { Success: true } convert)
        {
            return "Expected " + Expected(convert.Groups["type"].Value) + ".";
        }

        return "The JSON is malformed here.";
    }

    private static string ValueMessage(string typeName, string value) => $"'{Shorten(value)}' is not valid: expected {Expected(typeName)}.";

    private static string Shorten(string value) => value.Length > 60 ? value[..60] + "…" : value;

    /// <summary>Says what a .NET type means to a caller: "a whole number", "one of: Low, Normal, High".</summary>
    private static string Expected(string typeName)
    {
        var name = NullableOf().Match(typeName) is { Success: true } nullable ? nullable.Groups["inner"].Value : typeName.TrimEnd('?');
        var type = typeof(UnreadableRequest).Assembly.GetType(name) ?? Type.GetType(name)
            ?? typeof(UnreadableRequest).Assembly.GetTypes().FirstOrDefault(t => t.Name == name);
        if (type is { IsEnum: true })
        {
            return "one of: " + string.Join(", ", Enum.GetNames(type));
        }

        return (type?.Name ?? name.Split('.').Last()) switch
        {
            "Int32" or "Int64" or "Int16" or "int" or "long" => "a whole number",
            "Decimal" or "Double" or "Single" or "decimal" or "double" => "a number",
            "Boolean" or "bool" => "true or false",
            "Guid" => "an id (a GUID)",
            "DateOnly" => "a date written as yyyy-MM-dd",
            "DateTimeOffset" or "DateTime" => "a date and time in ISO 8601",
            "String" or "string" => "text",
            var other when other.StartsWith("List`", StringComparison.Ordinal) || other.StartsWith("IReadOnlyList`", StringComparison.Ordinal)
                || other.EndsWith("[]", StringComparison.Ordinal) || other.StartsWith("IList`", StringComparison.Ordinal) => "a list",
            _ => "an object of the documented shape",
        };
    }

    [GeneratedRegex("""Failed to bind parameter "(?<type>\S+) (?<name>[^"]+)" from "(?<value>.*)"\.?$""", RegexOptions.Singleline)]
    private static partial Regex BindFailure();

    [GeneratedRegex("""Required parameter "(?<type>\S+) (?<name>[^"]+)" was not provided from (?<source>.*)\.""")]
    private static partial Regex MissingParameter();

    [GeneratedRegex("""could not be converted to (?<type>[^\s.]+(\.[^\s.]+)*)\.""")]
    private static partial Regex ConvertFailure();

    [GeneratedRegex("""System\.Nullable`1\[(?<inner>[^\]]+)\]""")]
    private static partial Regex NullableOf();
}

/// <summary>
/// Maps what only the database can check (a duplicate, an unknown referenced id, a missing value, a value
/// too long or out of range) to 400/409 naming the field, on SQLite and PostgreSQL alike.
/// </summary>
public static partial class ConstraintProblem
{
    public static ProblemDetails? Describe(Exception inner)
    {
        switch (inner)
        {
            case SqliteException { SqliteErrorCode: 19 } sqlite:
                var column = SqliteColumn().Match(sqlite.Message) is { Success: true } m ? Field(m.Groups["column"].Value) : null;
                return sqlite.SqliteExtendedErrorCode switch
                {
                    2067 or 1555 => Conflict(column),
                    787 => Invalid(column ?? "$", "refers to a record that does not exist."),
                    1299 => Invalid(column ?? "$", "is required."),
                    _ => Invalid(column ?? "$", "breaks a rule of the database."),
                };
            case PostgresException postgres:
                var field = Field(postgres.ColumnName ?? LastPart(postgres.ConstraintName));
                return postgres.SqlState switch
                {
                    PostgresErrorCodes.UniqueViolation => Conflict(field),
                    PostgresErrorCodes.ForeignKeyViolation => Invalid(field ?? "$", "refers to a record that does not exist."),
                    PostgresErrorCodes.NotNullViolation => Invalid(field ?? "$", "is required."),
                    PostgresErrorCodes.StringDataRightTruncation => Invalid(field ?? "$", "is too long."),
                    PostgresErrorCodes.NumericValueOutOfRange or PostgresErrorCodes.DatetimeFieldOverflow => Invalid(field ?? "$", "is out of range."),
                    PostgresErrorCodes.CheckViolation => Invalid(field ?? "$", "breaks a rule of the database."),
                    _ => null,
                };
            default:
                return null;
        }
    }

    private static ProblemDetails Conflict(string? field) => new()
    {
        Status = StatusCodes.Status409Conflict,
        Title = "A record like this already exists.",
        Detail = field is null
            ? "Another record already holds one of these values; it must be unique."
            : $"Another record already has this {field}; it must be unique.",
        Extensions = { ["field"] = field },
    };

    private static HttpValidationProblemDetails Invalid(string field, string message) =>
        new(new Dictionary<string, string[]> { [field] = [$"{(field == "$" ? "A value" : field)} {message}"] })
        {
            Status = StatusCodes.Status400BadRequest,
            Title = "One or more fields are invalid.",
        };

    private static string? LastPart(string? constraint) =>
        constraint?.Split('_', StringSplitOptions.RemoveEmptyEntries).LastOrDefault();

    private static string? Field(string? column) =>
        string.IsNullOrEmpty(column) ? null : JsonNamingPolicy.CamelCase.ConvertName(column);

    [GeneratedRegex("""constraint failed: (?:\w+)\.(?<column>\w+)""")]
    private static partial Regex SqliteColumn();
}
