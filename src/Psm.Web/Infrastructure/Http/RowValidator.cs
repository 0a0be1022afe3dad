using System.ComponentModel.DataAnnotations;
using System.Linq.Expressions;
using System.Reflection;

namespace Psm.Web.Infrastructure.Http;

/// <summary>
/// Checks a type's DataAnnotations rules (the same attributes the API validates) for many rows
/// quickly: attributes and property getters are found once per type, not once per row, and a valid
/// row allocates nothing. Imports use it; a single request uses the framework's validation.
/// </summary>
public sealed class RowValidator<T>
{
    public static readonly RowValidator<T> Instance = new();

    private readonly Rule[] rules;

    private RowValidator()
    {
        rules = typeof(T).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Select(p => new Rule(p.Name, Getter(p),
                p.GetCustomAttributes<ValidationAttribute>(inherit: true)
                    .OrderByDescending(a => a is RequiredAttribute)
                    .ToArray()))
            .Where(r => r.Attributes.Length > 0)
            .ToArray();
    }

    /// <summary>Reports each broken rule as (field, message); returns whether the row is valid.</summary>
    public bool Validate(T row, Action<string, string> report)
    {
        var valid = true;
        foreach (var rule in rules)
        {
            var value = rule.Get(row);
            foreach (var attribute in rule.Attributes)
            {
                var message = Check(attribute, row, rule.Name, value);
                if (message is null)
                {
                    continue;
                }

                valid = false;
                report(rule.Name, message);
                if (attribute is RequiredAttribute)
                {
                    break; // the other rules have nothing to say about a missing value
                }
            }
        }

        if (row is IValidatableObject validatable)
        {
            foreach (var result in validatable.Validate(new ValidationContext(row)))
            {
                valid = false;
                foreach (var member in result.MemberNames.DefaultIfEmpty(""))
                {
                    report(member, result.ErrorMessage ?? "Invalid value.");
                }
            }
        }

        return valid;
    }

    /// <summary>Every broken rule, with the field named as the JSON API names it (camelCase).</summary>
    public List<(string Field, string Message)> Problems(T row)
    {
        var problems = new List<(string, string)>();
        Validate(row, (field, message) => problems.Add((System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(field), message)));
        return problems;
    }

    private static string? Check(ValidationAttribute attribute, T row, string name, object? value)
    {
        if (!attribute.RequiresValidationContext)
        {
            return attribute.IsValid(value) ? null : attribute.FormatErrorMessage(name);
        }

        var result = attribute.GetValidationResult(value, new ValidationContext(row!) { MemberName = name });
        return result == ValidationResult.Success ? null : result?.ErrorMessage ?? attribute.FormatErrorMessage(name);
    }

    private static Func<T, object?> Getter(PropertyInfo property)
    {
        var row = Expression.Parameter(typeof(T));
        return Expression.Lambda<Func<T, object?>>(
            Expression.Convert(Expression.Property(row, property), typeof(object)), row).Compile();
    }

    private sealed record Rule(string Name, Func<T, object?> Get, ValidationAttribute[] Attributes);
}
