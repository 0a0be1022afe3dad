using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Psm.Web.Infrastructure.Audit;
using Psm.Web.Infrastructure.Auth;
using Psm.Web.Infrastructure.Http;

namespace Psm.Web.Features.Customers;

public static class CustomersApi
{
    public static RouteGroupBuilder MapCustomersApi(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/customers").WithTags("Customers");

        group.MapGet("/", List).WithName("ListCustomers")
            .WithSummary("Lists customers, filtered and sorted, one page at a time (keyset cursor).");
        group.MapGet("/export.csv", Export).WithName("ExportCustomers")
            .WithSummary("Exports every customer matching the filters as CSV (personal data: admins and product managers; audit-logged).")
            .RequireAuthorization(Permissions.CustomersExport).AuditedExport("Customer");
        group.MapGet("/{id:guid}", Get).WithName("GetCustomer").WithSummary("Gets one customer.");
        group.MapPost("/", Create).WithName("CreateCustomer").WithSummary("Creates a customer.")
            .RequireAuthorization(Permissions.CustomersManage);
        group.MapPut("/{id:guid}", Update).WithName("UpdateCustomer")
            .WithSummary("Updates a customer; send the version you read, or get 409 if it changed since.")
            .RequireAuthorization(Permissions.CustomersManage);
        group.MapDelete("/{id:guid}", Archive).WithName("ArchiveCustomer")
            .WithSummary("Archives a customer (nothing is deleted).").RequireAuthorization(Permissions.CustomersManage);
        group.MapPost("/{id:guid}/restore", Restore).WithName("RestoreCustomer")
            .WithSummary("Restores an archived customer.").RequireAuthorization(Permissions.CustomersManage);
        group.MapDelete("/{id:guid}/purge", Purge).WithName("PurgeCustomer")
            .WithSummary("Deletes an archived customer for good (admins only).").RequireAuthorization(Permissions.CustomersPurge);
        group.MapPost("/import/preview", Preview).WithName("PreviewCustomerImport")
            .WithSummary("Reads a CSV's header and first rows and suggests a column mapping.").Accepts<string>("text/csv")
            .RequireAuthorization(Permissions.CustomersManage);
        group.MapPost("/import", Import).WithName("ImportCustomers")
            .WithSummary("Imports customers from CSV (name, email, country, industry, employees, externalRef, plan, region, signupDate, lifetimeValue). map=field:Column,... chooses columns; allOrNothing=false keeps the good rows; known externalRefs are skipped.")
            .Accepts<string>("text/csv")
            .RequireAuthorization(Permissions.CustomersManage).AllowsLargeUploads();
        return api;
    }

    private static async Task<Ok<Page<CustomerDto>>> List(
        CustomerService customers, string? search, string? country, bool? includeArchived, ListSort? sort,
        int? limit, string? cursor, CancellationToken ct)
    {
        var filter = new CustomerFilter(search, country, includeArchived ?? false, sort ?? ListSort.Name);
        return TypedResults.Ok(await customers.ListAsync(filter, PageRequest.Parse(limit, cursor), ct));
    }

    private static Task Export(
        HttpContext http, CustomerService customers, string? search, string? country, bool? includeArchived,
        ListSort? sort, CancellationToken ct)
    {
        var filter = new CustomerFilter(search, country, includeArchived ?? false, sort ?? ListSort.Name);
        // The import's columns first, in its formats (a re-import of the file skips every row that has a reference), then what
        // PSM computes or keeps about the record.
        return Csv.WriteAsync(http.Response, "customers.csv",
            [.. CustomerImport.Fields.Select(f => f.Name), "lifetimeValue", "churnedAt", "profilingConsent", "marketingConsent", "id", "createdAt", "archivedAt"],
            Rows(customers.StreamAsync(filter, ct)), ct);

        static async IAsyncEnumerable<string?[]> Rows(IAsyncEnumerable<CustomerDto> items)
        {
            await foreach (var c in items)
            {
                yield return
                [
                    c.Name, c.Email, c.Country, c.Industry, c.Employees.ToString(CultureInfo.InvariantCulture), c.ExternalRef, c.Plan, c.Region,
                    c.SignupDate is { } signup ? Csv.Day(signup) : null, c.LifetimeValue.ToString(CultureInfo.InvariantCulture),
                    c.ChurnedAt?.ToString("O", CultureInfo.InvariantCulture), c.ProfilingConsent ? "yes" : "no", c.MarketingConsent ? "yes" : "no",
                    c.Id.ToString(), c.CreatedAt.ToString("O", CultureInfo.InvariantCulture), c.ArchivedAt?.ToString("O", CultureInfo.InvariantCulture),
                ];
            }
        }
    }

    private static async Task<Results<Ok<CustomerDto>, NotFound>> Get(Guid id, CustomerService customers, CancellationToken ct) =>
        await customers.GetAsync(id, ct) is { } customer ? TypedResults.Ok(customer) : TypedResults.NotFound();

    private static async Task<Created<CustomerDto>> Create(CustomerInput input, CustomerService customers, CancellationToken ct)
    {
        var customer = await customers.CreateAsync(input, ct);
        return TypedResults.Created($"/api/v1/customers/{customer.Id}", customer);
    }

    private static async Task<Results<Ok<CustomerDto>, NotFound>> Update(
        Guid id, CustomerUpdate input, CustomerService customers, CancellationToken ct) =>
        await customers.UpdateAsync(id, input, ct) is { } customer ? TypedResults.Ok(customer) : TypedResults.NotFound();

    private static async Task<Results<Ok<CustomerDto>, NotFound>> Archive(Guid id, CustomerService customers, CancellationToken ct) =>
        await customers.SetArchivedAsync(id, archived: true, ct) is { } customer ? TypedResults.Ok(customer) : TypedResults.NotFound();

    private static async Task<Results<Ok<CustomerDto>, NotFound>> Restore(Guid id, CustomerService customers, CancellationToken ct) =>
        await customers.SetArchivedAsync(id, archived: false, ct) is { } customer ? TypedResults.Ok(customer) : TypedResults.NotFound();

    private static async Task<Results<NoContent, NotFound>> Purge(Guid id, CustomerService customers, CancellationToken ct) =>
        await customers.PurgeAsync(id, ct) ? TypedResults.NoContent() : TypedResults.NotFound();

    private static async Task<Results<Ok<ImportPreview>, ProblemHttpResult>> Preview(HttpRequest request, CancellationToken ct) =>
        ApiResults.RefuseUnlessCsv(request) is { } refused
            ? refused
            : TypedResults.Ok(await CsvImport.PreviewAsync(request.Body, CustomerImport.Fields, ct));

    private static async Task<Results<Ok<CsvImportResult>, RefusedImport<CsvImportResult>, ProblemHttpResult>> Import(
        HttpRequest request, CustomerImport import, string? map, bool? allOrNothing, CancellationToken ct)
    {
        if (ApiResults.RefuseUnlessCsv(request) is { } refused)
        {
            return refused;
        }

        using var reader = CsvImport.Reader(request.Body);
        var result = await import.ImportAsync(CustomerImport.ParseCsv(reader, CsvImport.ParseMapping(map), ct), allOrNothing ?? true, ct: ct);
        return result.Applied ? TypedResults.Ok(result) : RefusedImport.Of(result);
    }
}
