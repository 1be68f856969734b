using dotnet_etcd;
using Etcdserverpb;
using Google.Protobuf;

namespace Appliance.Store.Load;

/// <summary>
/// etcd doing what kube-apiserver asks of it for a create: a transaction "if mod_revision(key) == 0
/// then put", which etcd acknowledges after its WAL fsync.
/// </summary>
internal sealed class EtcdTarget(string endpoint) : ILoadTarget, IDisposable
{
    private readonly EtcdClient _client = new(endpoint);

    public string Name => "etcd";

    public async Task CreateAsync(string key, byte[] value)
    {
        ByteString keyBytes = ByteString.CopyFromUtf8(key);
        var txn = new TxnRequest();
        txn.Compare.Add(new Compare
        {
            Key = keyBytes,
            Target = Compare.Types.CompareTarget.Mod,
            Result = Compare.Types.CompareResult.Equal,
            ModRevision = 0,
        });
        txn.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = keyBytes, Value = ByteString.CopyFrom(value) } });
        TxnResponse response = await _client.TransactionAsync(txn).ConfigureAwait(false);
        if (!response.Succeeded)
        {
            throw new InvalidOperationException($"etcd create {key}: already exists");
        }
    }

    public void Dispose() => _client.Dispose();
}
