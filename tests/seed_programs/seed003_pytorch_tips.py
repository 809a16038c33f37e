import numpy as np  # scratchnet: the note's notebook had numpy imported
import scratchnet as torch  # scratchnet: was import torch
import scratchnet.datasets as dset  # scratchnet: was import torchvision.datasets as dset
import scratchnet.data.transforms as transforms  # scratchnet: was import torchvision.transforms as transforms
import scratchnet.nn as nn  # scratchnet: was import torch.nn as nn
import scratchnet.nn.init as init  # scratchnet: was import torch.nn.init as init
from scratchnet.optim import lr_scheduler  # scratchnet: was from torch.optim import lr_scheduler
from scratchnet.utils.data import DataLoader  # scratchnet: was from torch.utils.data import DataLoader

learning_rate = 0.001  # scratchnet: the note never sets learning_rate
batch_size = BATCH_SIZE  # scratchnet: the note never sets batch_size (CI shrink parameter)
num_epoch = EPOCHS  # scratchnet: the note never sets num_epoch (CI shrink parameter)
model = nn.Linear(1, 1)  # scratchnet: the note's model is defined in section 7, used from section 1

# 1. Weight Decay
optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate, weight_decay=0.1)

# 2. Data Augmentation
mnist_train = dset.MNIST(
    './', 
    train=True, 
    transform = transforms.Compose([
        transforms.Resize(34),                        # 원래 28x28인 이미지를 34x34로 늘립니다.
        transforms.CenterCrop(28),                    # 중앙 28x28를 뽑아냅니다.
        transforms.RandomHorizontalFlip(),            # 랜덤하게 좌우반전 합니다.
        transforms.Lambda(lambda x: x.rotate(90)),    # 람다함수를 이용해 90도 회전해줍니다.
        transforms.ToTensor(),                        # 이미지를 텐서로 변형합니다.
    ]),
    target_transform=None,
    download=True
)
augmented_image, augmented_label = mnist_train[0]  # scratchnet: one augmented sample is read

# 3. Weight Initialization
class aDNN(nn.Module):
    def __init__(self):
        super(aDNN,self).__init__()
        self.layer = nn.Sequential(
            # ...
        )             
        
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                '''
                m.weight.data.normal_(0.0, 0.1)     # 가중치를 평균 0, 편차 0.1로 초기화
                m.bias.data.fill_(0)                # 편차를 0으로 초기화
                '''

                '''
                init.xavier_normal(m.weight.data)   # Xavier Initialization
                m.bias.data.fill_(0)                # 편차를 0으로 초기화 
                '''

                '''                
                init.kaiming_normal_(m.weight.data) # Kaming He Initialization
                m.bias.data.fill_(0)                # 편차를 0으로 초기화 
                '''
            elif isinstance(m, nn.Linear):
                # 위의 코드와 유사함
                pass  # scratchnet: the note's block holds only a comment

a_dnn = aDNN()  # scratchnet: the note defines the class only
m = nn.Conv2d(1, 16, 3, padding=1)  # scratchnet: a conv layer to run the note's three quoted variants on
m.weight.data.normal_(0.0, 0.1)     # 가중치를 평균 0, 편차 0.1로 초기화
m.bias.data.fill_(0)                # 편차를 0으로 초기화
normal_weights = m.weight.numpy().copy()  # scratchnet: kept for the test
init.xavier_normal(m.weight.data)   # Xavier Initialization
m.bias.data.fill_(0)                # 편차를 0으로 초기화 
xavier_weights = m.weight.numpy().copy()  # scratchnet: kept for the test
init.kaiming_normal_(m.weight.data) # Kaming He Initialization
m.bias.data.fill_(0)                # 편차를 0으로 초기화 
kaiming_weights = m.weight.numpy().copy()  # scratchnet: kept for the test

# 4. Learning Rate Scheduler
# 학습률 스케줄러는 옵티마이져를 통해 적용된다.
optimizer = torch.optim.SGD(model.parameters(), lr=0.01)

# 지정한 스텝 단위로 학습률에 감마를 곱해 학습률을 감소시키는 방식
scheduler = lr_scheduler.StepLR(optimizer, step_size=1, gamma= 0.99)       

# 지정한 스텝 지점(예시에서는 10,20,40)마다 학습률에 감마를 곱해줘서 감소시키는 방식
scheduler = lr_scheduler.MultiStepLR(optimizer, milestones=[10,20,40], gamma= 0.1)  

# 매 epoch마다 학습률에 감마를 곱해줌으로써 감소시키는 방식
scheduler = lr_scheduler.ExponentialLR(optimizer, gamma= 0.99)                             

# 원하는 에폭마다, 이전 학습률 대비 변경폭에 따라 학습률을 감소시켜주는 방식
scheduler = lr_scheduler.ReduceLROnPlateau(optimizer,threshold=1,patience=1,mode='min')

x_toy = torch.randn(8, 1)  # scratchnet: the note's loops elide their data ( .. )
y_toy = 2 * x_toy  # scratchnet: the note's loops elide their data ( .. )
loss_function = nn.MSELoss()  # scratchnet: the note's loops elide their loss ( .. )
scheduler = lr_scheduler.ExponentialLR(optimizer, gamma= 0.99)  # scratchnet: the first loop is for StepLR, MultiStepLR, ExponentialLR
for i in range(num_epoch):
    scheduler.step() # !!

    optimizer.zero_grad()
    output = model.forward(x_toy)  # scratchnet: the note writes model.forward( .. )
    loss = loss_function(output, y_toy)  # scratchnet: the note writes loss = loss( .. )
    loss.backward()
    optimizer.step()
exponential_lrs = scheduler.get_last_lr()  # scratchnet: kept for the test

scheduler = lr_scheduler.ReduceLROnPlateau(optimizer,threshold=1,patience=1,mode='min')  # scratchnet: the second loop is ReduceLROnPlateau's
for i in range(num_epoch):
    optimizer.zero_grad()
    output = model.forward(x_toy)  # scratchnet: the note writes model.forward( .. )
    loss = loss_function(output, y_toy)  # scratchnet: the note writes loss = loss( .. )
    loss.backward()
    optimizer.step()
    
    scheduler.step(loss) # !!  

# 5. Data Normalization
mnist_train = dset.MNIST(
    "./", 
    train=True, 
    transform=transforms.Compose([
        transforms.ToTensor(),
        transforms.Normalize(mean=(0.1307,), std=(0.3081,))
    ]),
    download=True
)

mnist_test = dset.MNIST(
    "./", 
    train=False, 
    transform=transforms.Compose([
        transforms.ToTensor(),
        transforms.Normalize(mean=(0.1307,), std=(0.3081,))
    ]),
    download=True)

# 7. Batch Normalization
class CNN(nn.Module):
    def __init__(self):
        super(CNN,self).__init__()
        self.layer = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1),
            nn.BatchNorm2d(16),
            nn.ReLU(),
            nn.Conv2d(16, 32, 3,padding=1),
            nn.BatchNorm2d(32),
            nn.ReLU(),
            nn.MaxPool2d(2, 2),           
            nn.Conv2d(32, 64, 3,padding=1),
            nn.BatchNorm2d(64),
            nn.ReLU(),
            nn.MaxPool2d(2, 2)        
        )
        self.fc_layer = nn.Sequential(
            nn.Linear(64*7*7, 128),
            nn.BatchNorm1d(128),
            nn.ReLU(),
            nn.Linear(128, 64),
            nn.BatchNorm1d(64),
            nn.ReLU(),            
            nn.Linear(64, 10),
        )       

    def forward(self,x):
        out = self.layer(x)
        out = out.view(batch_size, -1)
        out = self.fc_layer(out)
        return out

model = CNN()  # scratchnet: the note shows the class; its course trains it as below

# 6. Gradient Descent Variants
optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)

train_loader = DataLoader(mnist_train, batch_size=batch_size, shuffle=True, drop_last=True)  # scratchnet: the course's loader
loss_func = nn.CrossEntropyLoss()  # scratchnet: the course's loss
for step, (image, label) in enumerate(train_loader):  # scratchnet: the course's training loop
    if step == MAX_STEPS:  # scratchnet: CI shrink parameter
        break  # scratchnet: CI shrink parameter
    optimizer.zero_grad()  # scratchnet: the course's training loop
    output = model.forward(image)  # scratchnet: the course's training loop
    loss = loss_func(output, label)  # scratchnet: the course's training loop
    loss.backward()  # scratchnet: the course's training loop
    optimizer.step()  # scratchnet: the course's training loop

model.eval()

test_loader = DataLoader(mnist_test, batch_size=batch_size, drop_last=True)  # scratchnet: the course's evaluation
correct = total = 0  # scratchnet: the course's evaluation
with torch.no_grad():  # scratchnet: the course's evaluation
    for image, label in test_loader:  # scratchnet: the course's evaluation
        correct += (model.forward(image).argmax(1) == label).sum().item()  # scratchnet: the course's evaluation
        total += label.size(0)  # scratchnet: the course's evaluation
test_accuracy = correct / total  # scratchnet: the course's evaluation

# 8. Drop Out
layer = nn.Sequential(
     nn.Conv2d(1,16,3,padding=1),
     nn.ReLU(),
    nn.Dropout2d(0.2),
    nn.Conv2d(16,32,3,padding=1),
    nn.ReLU(),
    nn.Dropout2d(0.2),
    nn.MaxPool2d(2,2),
    nn.Conv2d(32,64,3,padding=1),
    nn.ReLU(),
    nn.Dropout2d(0.2),
    nn.MaxPool2d(2,2)
)
dropout_train = layer(image)  # scratchnet: one batch through the dropout net in training mode
layer.eval()
dropout_eval = layer(image)  # scratchnet: and in evaluation mode
