using System.Collections;
using System.Collections.Concurrent;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Psm.Web.Infrastructure.Http;

/// <summary>
/// The rules every value that enters PSM through the API obeys, whatever the endpoint: enums by name
/// only, dates inside <see cref="Earliest"/>..<see cref="Latest"/>, and <c>null</c> in an optional
/// field meaning "not given". Stored values outside these bounds broke later reads for everyone.
/// </summary>
public static class InputRules
{
    /// <summary>The earliest date PSM accepts anywhere (documented in the README).</summary>
    public static readonly DateOnly Earliest = new(1900, 1, 1);

    /// <summary>The latest date PSM accepts anywhere (documented in the README).</summary>
    public static readonly DateOnly Latest = new(2199, 12, 31);

    public static readonly string RangeMessage =
        $"Dates must fall between {Earliest:yyyy-MM-dd} and {Latest:yyyy-MM-dd}.";

    public static bool InRange(DateOnly day) => day >= Earliest && day <= Latest;

    public static bool InRange(DateTimeOffset moment) =>
        moment.UtcDateTime >= Earliest.ToDateTime(TimeOnly.MinValue) && moment.UtcDateTime <= Latest.ToDateTime(TimeOnly.MaxValue);

    public static bool InRange(DateTime moment) =>
        moment >= Earliest.ToDateTime(TimeOnly.MinValue) && moment <= Latest.ToDateTime(TimeOnly.MaxValue);

    /// <summary>The API's JSON settings: enum names only, null as absent for non-nullable members (dates are bounded by <see cref="CheckInputs"/>).</summary>
    public static void Apply(JsonSerializerOptions options)
    {
        options.Converters.Add(new JsonStringEnumConverter(allowIntegerValues: false));
        options.TypeInfoResolver = (options.TypeInfoResolver ?? new DefaultJsonTypeInfoResolver())
            .WithAddedModifier(NullMeansAbsent);
    }

    /// <summary>
    /// A <c>null</c> sent for a member that cannot hold one (an optional text that defaults to "", a list
    /// that defaults to empty) leaves the default in place, so the usual validation speaks about it.
    /// </summary>
    private static void NullMeansAbsent(JsonTypeInfo type)
    {
        if (type.Kind != JsonTypeInfoKind.Object)
        {
            return;
        }

        var nullability = new NullabilityInfoContext();
        foreach (var property in type.Properties)
        {
            if (property.Set is not { } set || property.PropertyType.IsValueType || property.AttributeProvider is not PropertyInfo info)
            {
                continue;
            }

            if (nullability.Create(info).WriteState != NullabilityState.NotNull)
            {
                continue;
            }

            property.Set = (target, value) =>
            {
                if (value is not null)
                {
                    set(target, value);
                }
            };
        }
    }

    /// <summary>
    /// Checks what the JSON settings cannot: query and route values (an enum given as "999", a date in
    /// year 9999), and enums or dates deep in a body however they were bound. Answers 400 naming the field.
    /// </summary>
    public static RouteGroupBuilder CheckInputs(this RouteGroupBuilder group)
    {
        group.AddEndpointFilterFactory((factory, next) =>
        {
            var parameters = factory.MethodInfo.GetParameters();
            var services = factory.ApplicationServices.GetService<Microsoft.Extensions.DependencyInjection.IServiceProviderIsService>();
            var checkedIndexes = parameters.Select((p, i) => (p, i))
                .Where(x => NeedsCheck(x.p.ParameterType) && services?.IsService(x.p.ParameterType) != true)
                .Select(x => x.i).ToArray();
            if (checkedIndexes.Length == 0)
            {
                return next;
            }

            return async context =>
            {
                var problems = new List<(string Field, string Message)>();
                foreach (var index in checkedIndexes)
                {
                    if (index < context.Arguments.Count)
                    {
                        var type = Nullable.GetUnderlyingType(parameters[index].ParameterType) ?? parameters[index].ParameterType;
                        var isScalar = type.IsEnum || type == typeof(DateOnly) || type == typeof(DateTimeOffset) || type == typeof(DateTime);
                        Inspect(context.Arguments[index], isScalar ? parameters[index].Name ?? "value" : "", problems, depth: 0);
                    }
                }

                return problems.Count > 0
                    ? TypedResults.ValidationProblem(
                        problems.GroupBy(p => p.Field).ToDictionary(g => g.Key, g => g.Select(p => p.Message).Distinct().ToArray()),
                        title: "One or more fields are invalid.")
                    : await next(context);
            };
        });
        return group;
    }

    private static readonly ConcurrentDictionary<Type, bool> Checked = new();

    private static bool NeedsCheck(Type type) => Checked.GetOrAdd(type, t => NeedsCheck(t, 0));

    private static bool NeedsCheck(Type type, int depth)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type.IsEnum || type == typeof(DateOnly) || type == typeof(DateTimeOffset) || type == typeof(DateTime))
        {
            return true;
        }

        if (depth > 3 || type.IsPrimitive || type == typeof(string) || type == typeof(decimal) || type == typeof(Guid)
            || type.Namespace?.StartsWith("Psm.", StringComparison.Ordinal) != true && ElementType(type) is null)
        {
            return false;
        }

        if (ElementType(type) is not null)
        {
            return true; // a list may hold null items
        }

        return PropertiesOf(type).Any(p => NeedsCheck(p.PropertyType, depth + 1));
    }

    private static readonly ConcurrentDictionary<Type, PropertyInfo[]> Properties = new();

    private static PropertyInfo[] PropertiesOf(Type type) => Properties.GetOrAdd(type, t =>
        t.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.GetIndexParameters().Length == 0 && p.CanRead).ToArray());

    private static Type? ElementType(Type type) =>
        type == typeof(string) ? null
        : type.IsArray ? type.GetElementType()
        : type.GetInterfaces().Append(type).FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>))
            ?.GetGenericArguments()[0];

    private static void Inspect(object? value, string path, List<(string, string)> problems, int depth)
    {
        switch (value)
        {
            case null:
                return;
            case Enum e when !Enum.IsDefined(e.GetType(), e):
                problems.Add((path, $"'{e}' is not one of: {string.Join(", ", Enum.GetNames(e.GetType()))}."));
                return;
            case Enum:
                return;
            case DateOnly d when !InRange(d):
            case DateTimeOffset o when !InRange(o):
            case DateTime t when !InRange(t):
                problems.Add((path, RangeMessage));
                return;
            case string or DateOnly or DateTimeOffset or DateTime or Guid or decimal:
                return;
        }

        var type = value.GetType();
        if (type.IsPrimitive || depth > 3)
        {
            return;
        }

        if (value is IEnumerable items && value is not IDictionary)
        {
            var i = 0;
            foreach (var item in items)
            {
                var itemPath = $"{(path.Length == 0 ? "items" : path)}[{i++}]";
                if (item is null)
                {
                    problems.Add((itemPath, "A list may not hold empty (null) items."));
                    continue;
                }

                Inspect(item, itemPath, problems, depth + 1);
            }

            return;
        }

        if (type.Namespace?.StartsWith("Psm.", StringComparison.Ordinal) != true || !NeedsCheck(type))
        {
            return;
        }

        foreach (var property in PropertiesOf(type))
        {
            if (NeedsCheck(property.PropertyType))
            {
                var name = JsonNamingPolicy.CamelCase.ConvertName(property.Name);
                Inspect(property.GetValue(value), path.Length == 0 ? name : $"{path}.{name}", problems, depth + 1);
            }
        }
    }
}
