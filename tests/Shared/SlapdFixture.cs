using System.Diagnostics;
using System.DirectoryServices.Protocols;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Appliance.Auth.Testing;

/// <summary>
/// A real OpenLDAP slapd: its own slapd.conf (mdb, memberof and refint overlays, TLS with a CA made
/// here), a directory loaded with slapadd, listening on free loopback ports for ldap:// and ldaps://,
/// stopped by PID at the end. Shared as source by the Auth and API tests, each of which runs one per
/// collection; tests that change the directory do it as its root (<see cref="AddPerson"/> and the
/// like) on entries of their own.
/// </summary>
public sealed class SlapdFixture : IAsyncLifetime
{
    public const string SlapdPath = "/usr/sbin/slapd";
    public const string SlapaddPath = "/usr/sbin/slapadd";
    public const string Suffix = "dc=example,dc=org";
    public const string People = "ou=people," + Suffix;
    public const string Groups = "ou=groups," + Suffix;
    public const string ServiceAccountDn = "cn=reader,ou=system," + Suffix;
    public const string ServiceAccountPassword = "reader-secret-1";
    public const string RootDn = "cn=admin," + Suffix;
    public const string RootPassword = "root-secret-1";

    /// <summary>The login names and passwords loaded, one per user in the LDIF.</summary>
    public static readonly IReadOnlyDictionary<string, string> Passwords = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["alice"] = "alice-password-1",
        ["bob"] = "bob-password-1",
        ["carol"] = "carol-password-1",
        ["admin"] = "admin-password-1",
        ["dup"] = "dup-password-1",
        ["lučić"] = "lucic-password-1",
    };

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);

    private readonly StringBuilder _output = new();
    private Process? _slapd;

    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("appliance-slapd-").FullName;

    public int LdapPort { get; private set; }

    public int LdapsPort { get; private set; }

    /// <summary>The CA that signed slapd's certificate.</summary>
    public string CaPem { get; private set; } = "";

    /// <summary>A CA that signed nothing slapd presents.</summary>
    public string UnknownCaPem { get; private set; } = "";

    public async Task InitializeAsync()
    {
        foreach (var tool in new[] { SlapdPath, SlapaddPath })
        {
            if (!File.Exists(tool))
            {
                throw new InvalidOperationException(
                    $"{tool} is missing: the LDAP tests need OpenLDAP's server. Install Debian's slapd and ldap-utils (tests/run.sh does: apt-get install slapd ldap-utils).");
            }
        }

        using (var ca = TestCertificates.CreateCa("Appliance test LDAP CA"))
        using (var unknown = TestCertificates.CreateCa("Unknown CA"))
        {
            var (certificate, key) = TestCertificates.CreateServer(ca);
            CaPem = ca.ExportCertificatePem();
            UnknownCaPem = unknown.ExportCertificatePem();
            await File.WriteAllTextAsync(Path.Combine(Directory, "ca.pem"), CaPem);
            await File.WriteAllTextAsync(Path.Combine(Directory, "server.pem"), certificate);
            await File.WriteAllTextAsync(Path.Combine(Directory, "server.key"), key);
        }

        System.IO.Directory.CreateDirectory(Path.Combine(Directory, "db"));
        var config = Path.Combine(Directory, "slapd.conf");
        await File.WriteAllTextAsync(config, SlapdConfig());
        var ldif = Path.Combine(Directory, "data.ldif");
        await File.WriteAllTextAsync(ldif, Data());

        var (exitCode, output) = await RunAsync(SlapaddPath, ["-f", config, "-l", ldif]);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"slapadd failed ({exitCode}):\n{output}");
        }

        // Free ports are found by binding port 0; another process could take one before slapd
        // does, so a failed start is retried on fresh ports.
        for (var attempt = 1; ; attempt++)
        {
            LdapPort = FreePort();
            LdapsPort = FreePort();
            if (await TryStartAsync(config))
            {
                return;
            }

            if (attempt == 3)
            {
                throw new InvalidOperationException($"slapd did not start on 127.0.0.1 within {StartTimeout}:\n{_output}");
            }
        }
    }

    public Task DisposeAsync()
    {
        Stop();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp directory is harmless.
        }

        return Task.CompletedTask;
    }

    /// <summary>Settings for this server with the OpenLDAP preset, plain LDAP unless changed.</summary>
    public LdapSettings Settings(LdapTlsMode tls = LdapTlsMode.None, string? caPem = null, IReadOnlyList<string>? servers = null, int? port = null)
    {
        return LdapSettings.OpenLdap(servers ?? ["127.0.0.1"], People, Groups, ServiceAccountDn, ServiceAccountPassword) with
        {
            TlsMode = tls,
            CaCertificatesPem = caPem,
            Port = port ?? (tls == LdapTlsMode.Ldaps ? LdapsPort : LdapPort),
            Timeout = TimeSpan.FromSeconds(5),
        };
    }

    public static string PersonDn(string uid) => $"uid={uid},{People}";

    public static string GroupDn(string cn) => $"cn={cn},{Groups}";

    /// <summary>Adds an inetOrgPerson under <see cref="People"/>; returns its DN.</summary>
    public string AddPerson(string uid, string cn, string password)
    {
        var dn = PersonDn(uid);
        Send(new AddRequest(dn,
            new DirectoryAttribute("objectClass", "inetOrgPerson"),
            new DirectoryAttribute("uid", uid),
            new DirectoryAttribute("cn", cn),
            new DirectoryAttribute("sn", cn.Split(' ')[^1]),
            new DirectoryAttribute("userPassword", password)));
        return dn;
    }

    /// <summary>Adds a groupOfNames under <see cref="Groups"/> (it needs a member); returns its DN.</summary>
    public string AddGroup(string cn, params string[] memberDns)
    {
        var dn = GroupDn(cn);
        Send(new AddRequest(dn,
            new DirectoryAttribute("objectClass", "groupOfNames"),
            new DirectoryAttribute("cn", cn),
            new DirectoryAttribute("member", memberDns)));
        return dn;
    }

    public void AddMember(string groupCn, string memberDn)
        => Send(new ModifyRequest(GroupDn(groupCn), DirectoryAttributeOperation.Add, "member", memberDn));

    public void RemoveMember(string groupCn, string memberDn)
        => Send(new ModifyRequest(GroupDn(groupCn), DirectoryAttributeOperation.Delete, "member", memberDn));

    public void Delete(string dn) => Send(new DeleteRequest(dn));

    public void Replace(string dn, string attribute, string value)
        => Send(new ModifyRequest(dn, DirectoryAttributeOperation.Replace, attribute, value));

    /// <summary>Moves an entry under another parent, keeping its RDN (and its entryUUID); returns the new DN.</summary>
    public string Move(string dn, string newParentDn)
    {
        var rdn = dn[..dn.IndexOf(',', StringComparison.Ordinal)];
        Send(new ModifyDNRequest(dn, newParentDn, rdn));
        return rdn + "," + newParentDn;
    }

    /// <summary>The entry's entryUUID: the id its openldap_user:// or openldap_group:// principal carries.</summary>
    public string EntryUuid(string dn)
    {
        using var connection = ConnectAsRoot();
        var response = (SearchResponse)connection.SendRequest(new SearchRequest(dn, "(objectClass=*)", SearchScope.Base, "entryUUID"));
        return (string)response.Entries[0].Attributes["entryUUID"][0];
    }

    private void Send(DirectoryRequest request)
    {
        using var connection = ConnectAsRoot();
        connection.SendRequest(request);
    }

    private LdapConnection ConnectAsRoot()
    {
        var connection = new LdapConnection(new LdapDirectoryIdentifier("127.0.0.1", LdapPort))
        {
            AuthType = AuthType.Basic,
            Timeout = TimeSpan.FromSeconds(10),
        };
        connection.SessionOptions.ProtocolVersion = 3;
        connection.Bind(new NetworkCredential(RootDn, RootPassword));
        return connection;
    }

    private async Task<bool> TryStartAsync(string config)
    {
        var start = new ProcessStartInfo(SlapdPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // 127.0.0.2 serves the same certificate under an address it does not name.
        // -d keeps slapd in the foreground (it daemonizes otherwise), so the PID we hold is slapd's.
        foreach (var argument in new[] { "-f", config, "-h", $"ldap://127.0.0.1:{LdapPort}/ ldaps://127.0.0.1:{LdapsPort}/ ldap://127.0.0.2:{LdapPort}/ ldaps://127.0.0.2:{LdapsPort}/", "-d", "0" })
        {
            start.ArgumentList.Add(argument);
        }

        var slapd = Process.Start(start) ?? throw new InvalidOperationException("Process.Start returned no process for slapd.");
        slapd.OutputDataReceived += (_, line) => Append(line.Data);
        slapd.ErrorDataReceived += (_, line) => Append(line.Data);
        slapd.BeginOutputReadLine();
        slapd.BeginErrorReadLine();
        _slapd = slapd;

        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < StartTimeout)
        {
            if (slapd.HasExited)
            {
                Append($"slapd exited with {slapd.ExitCode}");
                _slapd = null;
                slapd.Dispose();
                return false;
            }

            if (Answers(LdapPort) && await IsListeningAsync(LdapsPort))
            {
                return true;
            }

            await Task.Delay(50);
        }

        Stop();
        return false;
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }

    private void Stop()
    {
        if (_slapd is not { } slapd)
        {
            return;
        }

        _slapd = null;
        try
        {
            if (!slapd.HasExited)
            {
                // Only the slapd this fixture started, by its PID.
                slapd.Kill();
                slapd.WaitForExit(5000);
            }
        }
        finally
        {
            slapd.Dispose();
        }
    }

    // An anonymous root DSE read: slapd answers LDAP only once its database is open.
    private static bool Answers(int port)
    {
        try
        {
            using var connection = new LdapConnection(new LdapDirectoryIdentifier("127.0.0.1", port))
            {
                AuthType = AuthType.Anonymous,
                Timeout = TimeSpan.FromSeconds(1),
            };
            connection.SessionOptions.ProtocolVersion = 3;
            connection.Bind();
            var response = (SearchResponse)connection.SendRequest(new SearchRequest("", "(objectClass=*)", SearchScope.Base, "namingContexts"));
            return response.ResultCode == ResultCode.Success;
        }
        catch (LdapException)
        {
            return false;
        }
        catch (DirectoryOperationException)
        {
            return false;
        }
    }

    private static async Task<bool> IsListeningAsync(int port)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string path, string[] arguments)
    {
        var start = new ProcessStartInfo(path) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    private string SlapdConfig() => $"""
        include /etc/ldap/schema/core.schema
        include /etc/ldap/schema/cosine.schema
        include /etc/ldap/schema/nis.schema
        include /etc/ldap/schema/inetorgperson.schema
        modulepath /usr/lib/ldap
        moduleload back_mdb
        moduleload memberof
        moduleload refint
        pidfile {Directory}/slapd.pid
        argsfile {Directory}/slapd.args
        TLSCACertificateFile {Directory}/ca.pem
        TLSCertificateFile {Directory}/server.pem
        TLSCertificateKeyFile {Directory}/server.key

        database mdb
        maxsize 67108864
        suffix "{Suffix}"
        rootdn "{RootDn}"
        rootpw {RootPassword}
        directory {Directory}/db
        overlay memberof
        overlay refint
        refint_attributes member memberOf

        access to attrs=userPassword
          by anonymous auth
          by * none
        access to *
          by users read
          by * none
        """;

    /// <summary>
    /// The 16-byte id each person and groupOfNames carries in <c>audio</c> (an octet string):
    /// slapd's stand-in for AD's binary objectGUID, in the byte order <see cref="Guid.ToByteArray()"/> writes and AD uses.
    /// </summary>
    public static Guid BinaryGuid(string rdn) => new(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(rdn)).AsSpan(0, 16));

    private static string Data()
    {
        var ldif = new StringBuilder();
        void Entry(string text) => ldif.Append(text.Trim()).Append("\n\n");

        Entry($"""
            dn: {Suffix}
            objectClass: dcObject
            objectClass: organization
            o: Example
            dc: example
            """);
        foreach (var unit in new[] { "people", "groups", "system" })
        {
            Entry($"""
                dn: ou={unit},{Suffix}
                objectClass: organizationalUnit
                ou: {unit}
                """);
        }

        Entry($"""
            dn: {ServiceAccountDn}
            objectClass: organizationalRole
            objectClass: simpleSecurityObject
            cn: reader
            userPassword: {ServiceAccountPassword}
            """);

        void Person(string rdn, string uid, string cn, params string[] memberOf)
        {
            // Non-ASCII values are base64 in LDIF (RFC 2849).
            var uidLine = uid.All(char.IsAscii) ? $"uid: {uid}" : $"uid:: {Convert.ToBase64String(Encoding.UTF8.GetBytes(uid))}";
            var memberOfLines = string.Concat(memberOf.Select(group => $"\nmemberOf: cn={group},{Groups}"));
            Entry($"""
                dn: {rdn},{People}
                objectClass: inetOrgPerson
                objectClass: extensibleObject
                audio:: {Convert.ToBase64String(BinaryGuid(rdn).ToByteArray())}
                {uidLine}
                cn: {cn}
                sn: {cn.Split(' ')[^1]}
                userPassword: {Passwords[uid]}{memberOfLines}
                """);
        }

        // memberOf (direct memberships only) is what the memberof overlay maintains on live
        // writes; slapadd bypasses overlays, so the values it would have written are loaded with the data.
        Person("uid=alice", "alice", "Alice Liddell", "developers");
        Person("uid=bob", "bob", "Bob Builder", "developers");
        Person("uid=carol", "carol", "Carol Cycle", "cycle-a");
        Person("uid=admin", "admin", "Directory Admin", "admins");
        // Two entries with the same login name: a login as "dup" must be refused as ambiguous.
        Person("uid=dup", "dup", "Dup One");
        Person("cn=Dup Two", "dup", "Dup Two");
        Person("uid=lucic", "lučić", "Ivan Lučić");

        void Group(string cn, string[] members, params string[] memberOf)
        {
            var memberLines = string.Join('\n', members.Select(member => $"member: {member}"));
            var memberOfLines = string.Concat(memberOf.Select(group => $"\nmemberOf: cn={group},{Groups}"));
            Entry($"""
                dn: cn={cn},{Groups}
                objectClass: groupOfNames
                objectClass: extensibleObject
                audio:: {Convert.ToBase64String(BinaryGuid("cn=" + cn).ToByteArray())}
                cn: {cn}
                {memberLines}{memberOfLines}
                """);
        }

        // alice, bob -> developers -> engineering -> staff: two levels of nesting.
        Group("developers", [$"uid=alice,{People}", $"uid=bob,{People}"], "engineering");
        Group("engineering", [$"cn=developers,{Groups}"], "staff");
        Group("staff", [$"cn=engineering,{Groups}"]);
        // carol -> cycle-a <-> cycle-b: expansion must end.
        Group("cycle-a", [$"uid=carol,{People}", $"cn=cycle-b,{Groups}"], "cycle-b");
        Group("cycle-b", [$"cn=cycle-a,{Groups}"], "cycle-a");
        Group("admins", [$"uid=admin,{People}"]);

        // RFC 2307 groups list login names, not DNs.
        Entry($"""
            dn: cn=operators,{Groups}
            objectClass: posixGroup
            cn: operators
            gidNumber: 5001
            memberUid: alice
            memberUid: carol
            """);
        return ldif.ToString();
    }
}
