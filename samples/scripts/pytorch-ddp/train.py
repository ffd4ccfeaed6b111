"""A SageMaker-style PyTorch script trained on several instances with torch.distributed (gloo, CPU).

Each host reads the SageMaker contract (SM_HOSTS, SM_CURRENT_HOST, SM_CHANNEL_TRAIN, SM_MODEL_DIR) and joins the
process group through MASTER_ADDR/MASTER_PORT; it trains a logistic regression on its share of the rows with
DistributedDataParallel (gradients averaged across hosts), and rank 0 saves the model, as SageMaker scripts do.
"""
import argparse
import csv
import glob
import json
import os

import torch
import torch.distributed as dist


def load(folder, target):
    rows = []
    for path in sorted(glob.glob(os.path.join(folder, "*.csv"))):
        with open(path, newline="") as f:
            rows.extend(csv.DictReader(f))
    columns = [c for c in rows[0] if c != target]
    x = torch.tensor([[float(r[c]) for c in columns] for r in rows], dtype=torch.float32)
    labels = sorted({r[target] for r in rows})  # e.g. B/M, or 0/1
    y = torch.tensor([float(labels.index(r[target])) for r in rows], dtype=torch.float32)
    return x, y


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--lr", type=float, default=0.5)
    parser.add_argument("--target", default="diagnosis")
    args = parser.parse_args()

    hosts = json.loads(os.environ["SM_HOSTS"])
    current = os.environ["SM_CURRENT_HOST"]
    rank, world = hosts.index(current), len(hosts)
    dist.init_process_group("gloo", rank=rank, world_size=world)
    print(f"{current}: rank {dist.get_rank()} of {dist.get_world_size()} joined at "
          f"{os.environ['MASTER_ADDR']}:{os.environ['MASTER_PORT']}", flush=True)

    x, y = load(os.environ["SM_CHANNEL_TRAIN"], args.target)
    # Standardise with statistics all hosts share, then keep this host's share of the rows.
    mean, std = x.mean(0), x.std(0) + 1e-6
    x = (x - mean) / std
    x, y = x[rank::world], y[rank::world]

    torch.manual_seed(0)
    model = torch.nn.parallel.DistributedDataParallel(torch.nn.Linear(x.shape[1], 1))
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    for epoch in range(args.epochs):
        optimizer.zero_grad()
        loss = loss_fn(model(x).squeeze(1), y)
        loss.backward()  # DDP averages the gradients over every host here
        optimizer.step()
        if epoch % 10 == 0 or epoch == args.epochs - 1:
            print(f"{current} epoch {epoch} loss: {loss.item():.4f}", flush=True)

    correct = ((model(x).squeeze(1) > 0).float() == y).sum()
    total = torch.tensor(float(len(y)))
    dist.all_reduce(correct)
    dist.all_reduce(total)
    accuracy = (correct / total).item()
    print(f"{current} train-accuracy: {accuracy:.4f}", flush=True)

    # Every host ends with the same weights; rank 0 saves them.
    if rank == 0:
        torch.save({"state_dict": model.module.state_dict(), "mean": mean, "std": std}, os.path.join(os.environ["SM_MODEL_DIR"], "model.pth"))
        print("saved model.pth", flush=True)
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
